package org.ctnet.server;

import org.ctnet.server.config.ServerSettings;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./dev serve}: serves every model under the base path (default {@code saved_models/}).
 * Settings come from application.yaml, then CTNET_* environment variables, then flags.
 */
@Command(name = "ctnet-server", mixinStandardHelpOptions = true, versionProvider = Main.BuildVersion.class,
    description = "Serve every model under the base path over TF Serving REST, KServe v2 and the web page. "
        + "Settings come from application.yaml, then CTNET_PORT, CTNET_MODEL_BASE_PATH, CTNET_VERSION_POLICY and "
        + "CTNET_BEARER_TOKEN (or CTNET_BEARER_TOKEN_FILE), then these flags.")
public final class Main implements Callable<Integer> {
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

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private final Config config;
  private final Map<String, String> env;

  Main(Config config, Map<String, String> env) {
    this.config = config;
    this.env = env;
  }

  /** The version Maven wrote into the jar's manifest. */
  static final class BuildVersion implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"ctnet-server " + (v == null ? "(development build, not from a packaged jar)" : v)};
    }
  }

  public static void main(String[] args) {
    LogConfig.configureRuntime();
    CommandLine cli = commandLine(Config.create(), System.getenv());
    int code = cli.execute(args);
    // On success the web server's threads keep serving; exit only for help, version or an error.
    if (code != 0 || cli.isUsageHelpRequested() || cli.isVersionHelpRequested()) {
      System.exit(code);
    }
  }

  /** The command line; bad settings (a malformed policy, a negative port) are usage errors, exit 2. */
  static CommandLine commandLine(Config config, Map<String, String> env) {
    CommandLine cli = new CommandLine(new Main(config, env));
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return e instanceof IllegalArgumentException ? 2 : 1;
    });
    return cli;
  }

  @Override
  public Integer call() {
    ServerSettings settings = settings();
    java.io.PrintWriter out = spec.commandLine().getOut();
    java.io.PrintWriter err = spec.commandLine().getErr();
    if (settings.modelConfigFile() != null) {
      try {
        org.ctnet.server.config.ModelConfigFile.read(settings.modelConfigFile());
      } catch (java.io.IOException e) {
        err.println("error: " + e.getMessage());
        return 1;
      }
    } else if (!Files.isDirectory(settings.modelBasePath())) {
      err.println("error: model base path " + settings.modelBasePath().toAbsolutePath()
          + " does not exist (set --model-base-path or CTNET_MODEL_BASE_PATH)");
      return 1;
    }
    String format = logFormat != null ? logFormat : env.getOrDefault("CTNET_LOG_FORMAT", "text");
    if (!format.equals("text") && !format.equals("json")) {
      err.println("error: --log-format must be text or json, got '" + format + "'");
      return 2;
    }
    if (format.equals("json")) {
      for (java.util.logging.Handler h : java.util.logging.Logger.getLogger("").getHandlers()) {
        h.setFormatter(new org.ctnet.server.observe.JsonLogFormatter());
      }
    }
    var tls = tlsSettings();
    ServerApp app = new ServerApp(settings, org.ctnet.server.config.ServerOptions.defaults().withPacs(pacsSettings())
        .withTls(tls).withRates(clientRates()).withTracing(org.ctnet.server.observe.Tracing.fromEnvironment(env)));
    if (!app.repository().ready()) {
      err.println("warning: no model version could be loaded from " + settings.modelBasePath().toAbsolutePath()
          + "; the server starts unready and keeps polling");
    }
    WebServer server = app.start();
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    out.printf("CT-Net server on %s://%s:%d/%s serving %s from %s%n", tls.enabled() ? "https" : "http",
        settings.host(), server.port(),
        app.grpcPort() >= 0 ? " (gRPC on port " + app.grpcPort() + ")" : "", app.repository().models(),
        settings.modelConfigFile() != null ? settings.modelConfigFile().toAbsolutePath()
            : settings.modelBasePath().toAbsolutePath());
    return 0;
  }

  private static String readToken(Path file) {
    try {
      String token = Files.readString(file).lines().findFirst().orElse("").strip();
      if (token.isEmpty()) {
        throw new IllegalArgumentException("token file " + file + " is empty");
      }
      return token;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot read the token file " + file + ": " + e.getMessage(), e);
    }
  }

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

  /** Per-client rates: application.yaml, then the environment, then the flags. */
  org.ctnet.server.security.ClientRates clientRates() {
    io.helidon.config.Config c = config.get("ctnet.client-rate");
    double rate = setting(clientRate, "CTNET_CLIENT_RATE", c.get("requests-per-second"), 0.0);
    double burst = setting(clientBurst, "CTNET_CLIENT_BURST", c.get("burst"), Math.max(1, 2 * rate));
    double images = setting(clientImageRate, "CTNET_CLIENT_IMAGE_RATE", c.get("images-per-second"), 0.0);
    double imageBurst = setting(clientImageBurst, "CTNET_CLIENT_IMAGE_BURST", c.get("image-burst"),
        Math.max(1, 2 * images));
    return rate > 0 || images > 0 ? new org.ctnet.server.security.ClientRates(rate, burst, images, imageBurst)
        : org.ctnet.server.security.ClientRates.OFF;
  }

  /** A number from the flag, else the environment variable, else the configuration, else the default. */
  private double setting(Double flag, String variable, io.helidon.config.Config node, double fallback) {
    if (flag != null) {
      return flag;
    }
    return env.containsKey(variable) ? Double.parseDouble(env.get(variable)) : node.asDouble().orElse(fallback);
  }

  /** TLS: application.yaml, then the environment, then the flags. */
  org.ctnet.server.security.TlsSettings tlsSettings() {
    return org.ctnet.server.security.TlsSettings.from(config, env).with(tlsCert, tlsKey, tlsClientCa,
        tlsAllowedClients);
  }

  /** The PACS section: application.yaml, then the environment, then the flags. */
  org.ctnet.server.config.PacsSettings pacsSettings() {
    var p = org.ctnet.server.config.PacsSettings.from(config);
    String url = pacsUrl != null ? pacsUrl.toString() : env.get("CTNET_PACS_URL");
    String spool = pacsSpool != null ? pacsSpool.toString() : env.get("CTNET_PACS_SPOOL");
    String quiet = pacsQuietMillis != null ? pacsQuietMillis.toString() : env.get("CTNET_PACS_QUIET_MILLIS");
    String model = pacsModel != null ? pacsModel : env.get("CTNET_PACS_MODEL");
    p = p.withDestination(url != null ? java.net.URI.create(url) : p.url(), spool != null ? Path.of(spool) : p.spool(),
        quiet != null ? Long.parseLong(quiet) : p.quietMillis());
    p = model != null ? p.withModel(model) : p;
    String token = env.get("CTNET_PACS_TOKEN_FILE");
    String basic = env.get("CTNET_PACS_BASIC_AUTH_FILE");
    String ca = env.get("CTNET_PACS_CA_FILE");
    return p.withCredentials(token != null ? Path.of(token) : p.tokenFile(), basic != null ? Path.of(basic)
        : p.basicAuthFile(), ca != null ? Path.of(ca) : p.caFile());
  }

  /** application.yaml, then the environment, then the flags. */
  ServerSettings settings() {
    ServerSettings s = ServerSettings.from(config);
    String v;
    if ((v = env.get("CTNET_PORT")) != null) {
      s = s.withPort(Integer.parseInt(v));
    }
    if ((v = env.get("CTNET_GRPC_PORT")) != null) {
      s = s.withGrpcPort(Integer.parseInt(v));
    }
    if ((v = env.get("CTNET_MODEL_CONFIG_FILE")) != null) {
      s = s.withModelConfigFile(Path.of(v));
    }
    if ((v = env.get("CTNET_MODEL_BASE_PATH")) != null) {
      s = s.withModelBasePath(Path.of(v));
    }
    if ((v = env.get("CTNET_VERSION_POLICY")) != null) {
      s = s.withVersionPolicy(v);
    }
    if ((v = env.get("CTNET_BEARER_TOKEN")) != null) {
      s = s.withBearerToken(v);
    }
    if ((v = env.get("CTNET_DRAIN_DELAY_MILLIS")) != null) {
      s = s.withDrainDelay(Long.parseLong(v));
    }
    if ((v = env.get("CTNET_BEARER_TOKEN_FILE")) != null) {
      s = s.withBearerToken(readToken(Path.of(v)));
    }
    if (port != null) {
      s = s.withPort(port);
    }
    if (grpcPort != null) {
      s = s.withGrpcPort(grpcPort);
    }
    if (modelConfigFile != null) {
      s = s.withModelConfigFile(modelConfigFile);
    }
    if (modelBasePath != null) {
      s = s.withModelBasePath(modelBasePath);
    }
    if (versionPolicy != null) {
      s = s.withVersionPolicy(versionPolicy);
    }
    if (pollSeconds != null) {
      s = s.withPolling(pollSeconds);
    }
    if (token != null) {
      s = s.withBearerToken(token);
    }
    if (tokenFile != null) {
      s = s.withBearerToken(readToken(tokenFile));
    }
    if (metricsOpen != null) {
      s = s.withMetricsOpen(metricsOpen);
    }
    if (host != null) {
      s = s.withHost(host);
    }
    if (drainDelayMillis != null) {
      s = s.withDrainDelay(drainDelayMillis);
    }
    return s;
  }
}
