package org.ctnet.server;

import org.ctnet.server.config.ServerSettings;

import static org.junit.jupiter.api.Assertions.*;

import io.helidon.config.Config;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The server's flags: help, precedence of flags over environment over application.yaml, usage errors. */
class ServerCliTest {
  private record Run(int code, String out, String err) {}

  private static Run run(Map<String, String> env, String... args) {
    CommandLine cli = Main.commandLine(Config.create(), env);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return new Run(cli.execute(args), out.toString(), err.toString());
  }

  @Test
  void helpListsEveryFlag() {
    Run r = run(Map.of(), "--help");
    assertEquals(0, r.code());
    for (String flag : new String[] {"--port", "--grpc-port", "--host", "--model-base-path", "--model-config-file",
        "--version-policy", "--poll-seconds", "--token"}) {
      assertTrue(r.out().contains(flag), flag + " in " + r.out());
    }
  }

  @Test
  void flagsOverrideTheEnvironmentWhichOverridesTheConfiguration() {
    Main main = new Main(Config.create(), Map.of("CTNET_PORT", "9000", "CTNET_MODEL_BASE_PATH", "/models",
        "CTNET_GRPC_PORT", "9500"));
    new CommandLine(main).parseArgs("--port", "9100", "--version-policy", "all", "--host", "127.0.0.1");
    ServerSettings s = main.settings();
    assertEquals(9100, s.port());
    assertEquals(9500, s.grpcPort(), "from the environment");
    assertEquals(8500, ServerSettings.from(Config.create()).grpcPort(), "application.yaml: TF Serving's gRPC port");
    assertEquals(Path.of("/models"), s.modelBasePath());
    assertEquals("127.0.0.1", s.host());
    assertEquals(ServerSettings.from(Config.create()).pollSeconds(), s.pollSeconds());
  }

  @Test
  void inferenceThreadsDefaultToOnePerCoreAndAnExplicitCountIsKept() {
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals(0, Config.create().get("ctnet.inference-threads").asInt().get(), "application.yaml asks for one per core");
    assertEquals(cores, ServerSettings.from(Config.create()).inferenceThreads());
    Config zero = Config.just(io.helidon.config.ConfigSources.create(Map.of("ctnet.inference-threads", "0")));
    assertEquals(cores, ServerSettings.from(zero).inferenceThreads(), "0 = one per core");
    assertEquals(cores, ServerSettings.defaults(Path.of("m")).inferenceThreads());
    Config three = Config.just(io.helidon.config.ConfigSources.create(Map.of("ctnet.inference-threads", "3")));
    assertEquals(3, ServerSettings.from(three).inferenceThreads());
    Config negative = Config.just(io.helidon.config.ConfigSources.create(Map.of("ctnet.inference-threads", "-1")));
    assertThrows(IllegalArgumentException.class, () -> ServerSettings.from(negative));
  }

  @Test
  void badValuesAreUsageErrorsWithAMessage() {
    Run policy = run(Map.of(), "--version-policy", "bogus", "--model-base-path", "/nonexistent");
    assertEquals(2, policy.code());
    assertTrue(policy.err().contains("version policy must be"), policy.err());
    Run unknown = run(Map.of(), "--nope");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("Unknown option: '--nope'"), unknown.err());
    Run port = run(Map.of(), "--port", "eighty");
    assertEquals(2, port.code());
    Run missing = run(Map.of(), "--model-base-path", "/nonexistent/models");
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("does not exist"), missing.err());
    Run config = run(Map.of(), "--model-config-file", "/nonexistent/models.config");
    assertEquals(1, config.code());
    assertTrue(config.err().contains("models.config"), config.err());
    Run grpc = run(Map.of(), "--grpc-port", "-2", "--model-base-path", "/nonexistent");
    assertEquals(2, grpc.code(), grpc.err());
    assertTrue(grpc.err().contains("gRPC port"), grpc.err());
  }
}
