package org.ctnet.server.config;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The server's flags; {@link SettingsSources} puts them over application.yaml and the environment. */
public final class ServerFlags {
  @Option(names = "--port", description = "HTTP port (default 8501).")
  Integer port;

  @Option(names = "--grpc-port", paramLabel = "PORT",
      description = "gRPC port (TF Serving's PredictionService/ModelService, KServe's GRPCInferenceService); "
          + "-1 = no gRPC (default 8500).")
  Integer grpcPort;

  @Option(names = "--model-config-file", paramLabel = "FILE",
      description = "A TF Serving model config (text format: model_config_list { config { name, base_path, "
          + "model_version_policy, version_labels } }), re-read at every poll; replaces the folder scan of "
          + "--model-base-path.")
  Path modelConfigFile;

  @Option(names = "--pacs-url", paramLabel = "URL", description = "Turn on STOW-RS (POST /dicomweb/studies): studies "
      + "sent here are scored when complete and their DICOM results stored into this PACS (its DICOMweb root); "
      + "also CTNET_PACS_URL or ctnet.pacs.url, with the rest of ctnet.pacs in application.yaml.")
  java.net.URI pacsUrl;

  @Option(names = "--pacs-spool", paramLabel = "DIR", description = "Where received instances wait on disk "
      + "(default spool/stow; also CTNET_PACS_SPOOL).")
  Path pacsSpool;

  @Option(names = "--pacs-quiet-millis", paramLabel = "MS", description = "A study is complete when no instance "
      + "arrived for this long (default 10000; also CTNET_PACS_QUIET_MILLIS).")
  Long pacsQuietMillis;

  @Option(names = "--pacs-model", paramLabel = "NAME", description = "The served model that scores PACS studies "
      + "(default ctnet; also CTNET_PACS_MODEL).")
  String pacsModel;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Serve REST and gRPC over TLS with this certificate "
      + "chain (and --tls-key); re-read when it changes (rotation without restart). Also CTNET_TLS_CERT_FILE.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "The TLS private key (PKCS#8, PKCS#1 or SEC1 PEM). "
      + "Also CTNET_TLS_KEY_FILE.")
  Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "PEM", description = "Mutual TLS: clients must present a "
      + "certificate from these CAs (health routes included). Also CTNET_TLS_CLIENT_CA_FILE.")
  Path tlsClientCa;

  @Option(names = "--tls-allowed-clients", paramLabel = "NAMES", description = "Mutual TLS: only these client "
      + "names (subject CN or a DNS/URI/email SAN), comma-separated. Also CTNET_TLS_ALLOWED_CLIENTS.")
  String tlsAllowedClients;

  @Option(names = "--host", description = "Address to bind (default 0.0.0.0).")
  String host;

  @Option(names = "--model-base-path", paramLabel = "DIR", description = "Models as <DIR>/<model>/<version>/ (default saved_models).")
  Path modelBasePath;

  @Option(names = "--version-policy", paramLabel = "POLICY", description = "latest, all or specific:1,2 (default latest).")
  String versionPolicy;

  @Option(names = "--poll-seconds", paramLabel = "S", description = "How often the base path is scanned for new versions; 0 = never (default 5).")
  Double pollSeconds;

  @Option(names = "--token", paramLabel = "T", description = "Require 'Authorization: Bearer T' on every route but "
      + "health. Visible in 'ps': prefer --token-file or CTNET_BEARER_TOKEN.")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "Read the bearer token from FILE (first line), "
      + "e.g. a mounted Kubernetes secret; also CTNET_BEARER_TOKEN_FILE.")
  Path tokenFile;

  @Option(names = "--drain-delay-millis", paramLabel = "MS", description = "On SIGTERM, keep answering (readiness "
      + "503) this long before finishing in-flight requests and stopping (default 0; a few seconds behind a load "
      + "balancer or in Kubernetes). Also CTNET_DRAIN_DELAY_MILLIS.")
  Long drainDelayMillis;

  @Option(names = "--metrics-open", description = "Serve /metrics without the token (for in-cluster scrapers).")
  Boolean metricsOpen;

  @Option(names = "--log-format", paramLabel = "FORMAT", description = "text (default) or json: one JSON object a "
      + "line with the trace and span ids of the request being served (also CTNET_LOG_FORMAT).")
  String logFormat;

  @Option(names = "--client-rate", paramLabel = "PER_SECOND", description = "Requests per second each client "
      + "(bearer token, else client certificate, else address) may make, health routes aside; 429 with Retry-After "
      + "beyond (default 0: no limit; also CTNET_CLIENT_RATE, ctnet.client-rate.requests-per-second).")
  Double clientRate;

  @Option(names = "--client-burst", paramLabel = "N", description = "Requests a client may make at once above its "
      + "rate (default 2 seconds' worth; also CTNET_CLIENT_BURST).")
  Double clientBurst;

  @Option(names = "--client-image-rate", paramLabel = "PER_SECOND", description = "Images per second each client's "
      + "requests may give the model (each image once, predicted or explained); a client in debt gets 429 until it is "
      + "paid (default 0: no limit; also CTNET_CLIENT_IMAGE_RATE, ctnet.client-rate.images-per-second).")
  Double clientImageRate;

  @Option(names = "--client-image-burst", paramLabel = "N", description = "Images a client may send at once above its "
      + "image rate (default 2 seconds' worth; also CTNET_CLIENT_IMAGE_BURST).")
  Double clientImageBurst;
}
