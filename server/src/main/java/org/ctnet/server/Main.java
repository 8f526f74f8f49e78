package org.ctnet.server;

import org.ctnet.server.config.ServerFlags;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.config.SettingsSources;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;

/**
 * {@code ./dev serve}: serves every model under the base path (default {@code saved_models/}).
 * Settings come from application.yaml, then CTNET_* environment variables, then flags.
 */
@Command(name = "ctnet-server", mixinStandardHelpOptions = true, versionProvider = Main.BuildVersion.class,
    description = "Serve every model under the base path over TF Serving REST, KServe v2 and the web page. "
        + "Settings come from application.yaml, then CTNET_PORT, CTNET_MODEL_BASE_PATH, CTNET_VERSION_POLICY and "
        + "CTNET_BEARER_TOKEN (or CTNET_BEARER_TOKEN_FILE), then these flags.")
public final class Main implements Callable<Integer> {



















  @CommandLine.Mixin ServerFlags flags = new ServerFlags();

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
      return e instanceof IllegalArgumentException ? ExitCode.USAGE : ExitCode.SOFTWARE;
    });
    return cli;
  }

  @Override
  public Integer call() {
    SettingsSources sources = sources();
    ServerSettings settings = sources.settings();
    java.io.PrintWriter out = spec.commandLine().getOut();
    java.io.PrintWriter err = spec.commandLine().getErr();
    if (settings.modelConfigFile() != null) {
      try {
        org.ctnet.server.config.ModelConfigFile.read(settings.modelConfigFile());
      } catch (java.io.IOException e) {
        err.println("error: " + e.getMessage());
        return ExitCode.SOFTWARE;
      }
    } else if (!Files.isDirectory(settings.modelBasePath())) {
      err.println("error: model base path " + settings.modelBasePath().toAbsolutePath()
          + " does not exist (set --model-base-path or CTNET_MODEL_BASE_PATH)");
      return ExitCode.SOFTWARE;
    }
    String format = sources.logFormat();
    if (!format.equals("text") && !format.equals("json")) {
      err.println("error: --log-format must be text or json, got '" + format + "'");
      return ExitCode.USAGE;
    }
    if (format.equals("json")) {
      for (java.util.logging.Handler h : java.util.logging.Logger.getLogger("").getHandlers()) {
        h.setFormatter(new org.ctnet.server.observe.JsonLogFormatter());
      }
    }
    var tls = sources.tlsSettings();
    ServerApp app = new ServerApp(settings, org.ctnet.server.config.ServerOptions.defaults().withPacs(sources.pacsSettings())
        .withTls(tls).withRates(sources.clientRates()).withTracing(org.ctnet.server.observe.Tracing.fromEnvironment(env)));
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
    return ExitCode.OK;
  }

  ServerSettings settings() {
    return sources().settings();
  }

  org.ctnet.server.config.PacsSettings pacsSettings() {
    return sources().pacsSettings();
  }

  org.ctnet.server.security.TlsSettings tlsSettings() {
    return sources().tlsSettings();
  }

  private SettingsSources sources() {
    return new SettingsSources(config, env, flags);
  }
}
