package org.ctnet.trainer.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.ctnet.dicom.web.DicomWebClient;
import picocli.CommandLine.Option;

/** How to reach a DICOMweb server: its root, credentials from a file, a CA file, timeouts and retries. */
public final class PacsOptions {
  @Option(names = "--pacs", required = true, paramLabel = "URL",
      description = "The PACS' DICOMweb root, e.g. http://orthanc:8042/dicom-web.")
  URI url;

  @Option(names = "--token-file", paramLabel = "FILE", description = "A file holding a bearer token.")
  Path tokenFile;

  @Option(names = "--basic-auth-file", paramLabel = "FILE", description = "A file holding user:password.")
  Path basicAuthFile;

  @Option(names = "--ca-file", paramLabel = "PEM", description = "Trust these CA certificates for https (else the JDK's).")
  Path caFile;

  @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
      description = "Per request (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--retries", defaultValue = "3", description = "Retries after a connection failure, 429 or 5xx, "
      + "waiting 0.5 s, then twice as long each time (default ${DEFAULT-VALUE}).")
  int retries;

  DicomWebClient client() throws IOException {
    if (tokenFile != null && basicAuthFile != null) {
      throw new IllegalArgumentException("give --token-file or --basic-auth-file, not both");
    }
    if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
      throw new IllegalArgumentException("--pacs must be an http or https URL, got " + url);
    }
    DicomWebClient.Settings s = DicomWebClient.Settings.of(url)
        .withTimeout(Duration.ofSeconds(timeoutSeconds), retries, Duration.ofMillis(500));
    if (tokenFile != null) {
      s = s.withAuthorization(DicomWebClient.bearerFromFile(tokenFile));
    }
    if (basicAuthFile != null) {
      s = s.withAuthorization(DicomWebClient.basicFromFile(basicAuthFile));
    }
    if (caFile != null) {
      s = s.withTls(DicomWebClient.trusting(caFile));
    }
    return new DicomWebClient(s);
  }
}
