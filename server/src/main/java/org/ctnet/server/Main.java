package org.ctnet.server;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code ctnet serve}: serves every model under the base path (default {@code saved_models/}).
 * Settings come from application.yaml, then CTNET_* environment variables, then flags:
 * {@code --port N --host H --model-base-path DIR --version-policy latest|all|specific:N
 * --poll-seconds S --token T}.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    LogConfig.configureRuntime();
    ServerSettings settings;
    try {
      settings = settings(Config.create(), System.getenv(), args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (!Files.isDirectory(settings.modelBasePath())) {
      System.err.println("error: model base path " + settings.modelBasePath().toAbsolutePath()
          + " does not exist (set --model-base-path or CTNET_MODEL_BASE_PATH)");
      System.exit(1);
    }
    ServerApp app = new ServerApp(settings);
    if (!app.repository().ready()) {
      System.err.println("warning: no model version could be loaded from " + settings.modelBasePath().toAbsolutePath()
          + "; the server starts unready and keeps polling");
    }
    WebServer server = app.start();
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "shutdown"));
    System.out.printf("CT-Net server on http://%s:%d/ serving %s from %s%n", settings.host(), server.port(),
        app.repository().models(), settings.modelBasePath().toAbsolutePath());
  }

  static ServerSettings settings(Config config, Map<String, String> env, String[] args) {
    ServerSettings s = ServerSettings.from(config);
    String v;
    if ((v = env.get("CTNET_PORT")) != null) {
      s = s.withPort(Integer.parseInt(v));
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
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("flag " + flag + " needs a value");
      }
      String value = args[++i];
      switch (flag) {
        case "--port" -> s = s.withPort(Integer.parseInt(value));
        case "--model-base-path" -> s = s.withModelBasePath(Path.of(value));
        case "--version-policy" -> s = s.withVersionPolicy(value);
        case "--poll-seconds" -> s = s.withPolling(Double.parseDouble(value));
        case "--token" -> s = s.withBearerToken(value);
        case "--host" -> s = new ServerSettings(value, s.port(), s.modelBasePath(), s.versionPolicy(), s.pollSeconds(),
            s.maxBatchSize(), s.maxBatchDelayMillis(), s.inferenceThreads(), s.queueLimit(), s.maxBodyBytes(),
            s.maxImagePixels(), s.maxInstances(), s.requestTimeoutMillis(), s.bearerToken());
        default -> throw new IllegalArgumentException("unknown flag " + flag
            + " (known: --port, --host, --model-base-path, --version-policy, --poll-seconds, --token)");
      }
    }
    return s;
  }
}
