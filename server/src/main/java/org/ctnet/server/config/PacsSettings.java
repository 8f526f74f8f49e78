package org.ctnet.server.config;

import io.helidon.config.Config;
import java.net.URI;
import java.nio.file.Path;
import org.ctnet.dicom.write.Uids;

/**
 * The PACS the server answers into (section {@code ctnet.pacs} of application.yaml, or
 * {@code CTNET_PACS_*} variables): studies arriving by STOW-RS are spooled, scored when quiet, and
 * their results stored to {@code url} — only there, never to an address a request names.
 *
 * @param url the PACS' DICOMweb root; null: STOW-RS is off (answers 503 saying how to turn it on)
 * @param tokenFile a bearer token for the PACS, or null
 * @param basicAuthFile user:password for the PACS, or null
 * @param caFile CA certificates (PEM) to trust for an https PACS, or null
 * @param model the served model that scores studies
 * @param spool where received instances wait on disk (they survive a restart)
 * @param quietMillis a study is complete when no instance arrived for this long
 * @param maxStudyBytes most bytes one study may spool
 * @param maxStudyInstances most instances one study may spool
 * @param maxInstanceBytes largest single instance
 * @param uidRoot root of the results' new UIDs
 */
public record PacsSettings(URI url, Path tokenFile, Path basicAuthFile, Path caFile, String model, Path spool,
    long quietMillis, long maxStudyBytes, int maxStudyInstances, long maxInstanceBytes, String uidRoot) {

  public PacsSettings {
    if (quietMillis < 0 || maxStudyBytes < 1 || maxStudyInstances < 1 || maxInstanceBytes < 1) {
      throw new IllegalArgumentException("PACS quiet period must be >= 0 and its limits >= 1");
    }
    if (url != null && !"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
      throw new IllegalArgumentException("ctnet.pacs.url must be an http or https DICOMweb root, got " + url);
    }
    new Uids(uidRoot); // checked here, at start, rather than at the first study
    if (tokenFile != null && basicAuthFile != null) {
      throw new IllegalArgumentException("give the PACS a bearer token file or a basic auth file, not both");
    }
  }

  public static PacsSettings defaults() {
    return new PacsSettings(null, null, null, null, "ctnet", Path.of("spool/stow"), 10_000, 2L << 30, 5_000,
        256L << 20, Uids.UUID_ROOT);
  }

  public boolean enabled() {
    return url != null;
  }

  public static PacsSettings from(Config root) {
    Config c = root.get("ctnet.pacs");
    PacsSettings d = defaults();
    return new PacsSettings(
        c.get("url").asString().map(URI::create).orElse(null),
        c.get("token-file").asString().map(Path::of).orElse(null),
        c.get("basic-auth-file").asString().map(Path::of).orElse(null),
        c.get("ca-file").asString().map(Path::of).orElse(null),
        c.get("model").asString().orElse(d.model()),
        c.get("spool").asString().map(Path::of).orElse(d.spool()),
        c.get("quiet-millis").asLong().orElse(d.quietMillis()),
        c.get("max-study-bytes").asLong().orElse(d.maxStudyBytes()),
        c.get("max-study-instances").asInt().orElse(d.maxStudyInstances()),
        c.get("max-instance-bytes").asLong().orElse(d.maxInstanceBytes()),
        c.get("uid-root").asString().orElse(d.uidRoot()));
  }

  public PacsSettings withDestination(URI newUrl, Path newSpool, long newQuietMillis) {
    return new PacsSettings(newUrl, tokenFile, basicAuthFile, caFile, model, newSpool, newQuietMillis, maxStudyBytes,
        maxStudyInstances, maxInstanceBytes, uidRoot);
  }

  public PacsSettings withCredentials(Path newTokenFile, Path newBasicAuthFile, Path newCaFile) {
    return new PacsSettings(url, newTokenFile, newBasicAuthFile, newCaFile, model, spool, quietMillis, maxStudyBytes,
        maxStudyInstances, maxInstanceBytes, uidRoot);
  }

  public PacsSettings withModel(String newModel) {
    return new PacsSettings(url, tokenFile, basicAuthFile, caFile, newModel, spool, quietMillis, maxStudyBytes,
        maxStudyInstances, maxInstanceBytes, uidRoot);
  }
}
