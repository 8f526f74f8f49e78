package org.ctnet.server.config;

import io.helidon.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where each server setting comes from, in order: application.yaml, then CTNET_* environment
 * variables, then the flags. One place merges them for every section (serving, PACS, TLS, rates).
 */
public final class SettingsSources {
  private final Config config;
  private final Map<String, String> env;
  private final ServerFlags flags;

  public SettingsSources(Config config, Map<String, String> env, ServerFlags flags) {
    this.config = config;
    this.env = env;
    this.flags = flags;
  }

  /** text or json: the flag, else CTNET_LOG_FORMAT, else text. */
  public String logFormat() {
    return flags.logFormat != null ? flags.logFormat : env.getOrDefault("CTNET_LOG_FORMAT", "text");
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






  /** Per-client rates: application.yaml, then the environment, then the flags. */
  public org.ctnet.server.security.ClientRates clientRates() {
    io.helidon.config.Config c = config.get("ctnet.client-rate");
    double rate = setting(flags.clientRate, "CTNET_CLIENT_RATE", c.get("requests-per-second"), 0.0);
    double burst = setting(flags.clientBurst, "CTNET_CLIENT_BURST", c.get("burst"), Math.max(1, 2 * rate));
    double images = setting(flags.clientImageRate, "CTNET_CLIENT_IMAGE_RATE", c.get("images-per-second"), 0.0);
    double imageBurst = setting(flags.clientImageBurst, "CTNET_CLIENT_IMAGE_BURST", c.get("image-burst"),
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
  public org.ctnet.server.security.TlsSettings tlsSettings() {
    return org.ctnet.server.security.TlsSettings.from(config, env).with(flags.tlsCert, flags.tlsKey, flags.tlsClientCa,
        flags.tlsAllowedClients);
  }

  /** The PACS section: application.yaml, then the environment, then the flags. */
  public PacsSettings pacsSettings() {
    var p = PacsSettings.from(config);
    String url = flags.pacsUrl != null ? flags.pacsUrl.toString() : env.get("CTNET_PACS_URL");
    String spool = flags.pacsSpool != null ? flags.pacsSpool.toString() : env.get("CTNET_PACS_SPOOL");
    String quiet = flags.pacsQuietMillis != null ? flags.pacsQuietMillis.toString() : env.get("CTNET_PACS_QUIET_MILLIS");
    String model = flags.pacsModel != null ? flags.pacsModel : env.get("CTNET_PACS_MODEL");
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
  public ServerSettings settings() {
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
    if (flags.port != null) {
      s = s.withPort(flags.port);
    }
    if (flags.grpcPort != null) {
      s = s.withGrpcPort(flags.grpcPort);
    }
    if (flags.modelConfigFile != null) {
      s = s.withModelConfigFile(flags.modelConfigFile);
    }
    if (flags.modelBasePath != null) {
      s = s.withModelBasePath(flags.modelBasePath);
    }
    if (flags.versionPolicy != null) {
      s = s.withVersionPolicy(flags.versionPolicy);
    }
    if (flags.pollSeconds != null) {
      s = s.withPolling(flags.pollSeconds);
    }
    if (flags.token != null) {
      s = s.withBearerToken(flags.token);
    }
    if (flags.tokenFile != null) {
      s = s.withBearerToken(readToken(flags.tokenFile));
    }
    if (flags.metricsOpen != null) {
      s = s.withMetricsOpen(flags.metricsOpen);
    }
    if (flags.host != null) {
      s = s.withHost(flags.host);
    }
    if (flags.drainDelayMillis != null) {
      s = s.withDrainDelay(flags.drainDelayMillis);
    }
    return s;
  }
}
