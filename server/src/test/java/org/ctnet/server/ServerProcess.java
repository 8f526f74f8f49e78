package org.ctnet.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server as its own process ({@code org.ctnet.server.Main} on this test's class path), for what
 * only a real process shows: signals, JVM flags, native library loading.
 *
 * @param port the port it listens on, or -1 if it exited (or stopped printing) before it started
 * @param log everything it printed, kept up to date while it runs
 */
record ServerProcess(Process process, int port, StringBuffer log) implements AutoCloseable {
  private static final Pattern STARTED = Pattern.compile("CT-Net server on http://[^:]+:(\\d+)/");

  /** Starts {@code java <jvmFlags> -Xmx512m ... Main <args> --port 0 --host 127.0.0.1} and waits for its start line. */
  static ServerProcess start(List<String> jvmFlags, List<String> args) throws IOException {
    return start(List.of(), System.getProperty("java.class.path"), java.util.Map.of(), jvmFlags, args);
  }

  /**
   * The same behind a command prefix (e.g. {@code setpriv} to run as another user), with its own class
   * path and extra environment.
   */
  static ServerProcess start(List<String> prefix, String classPath, java.util.Map<String, String> env,
      List<String> jvmFlags, List<String> args) throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    if (!jvmFlags.contains("--enable-native-access=ALL-UNNAMED")) {
      command.add("--enable-native-access=ALL-UNNAMED");
    }
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(List.of("-Xmx512m", "-cp", classPath, "org.ctnet.server.Main"));
    command.addAll(args);
    // any free ports: test JVMs run side by side, and 8500 (gRPC's default) may be taken
    command.addAll(List.of("--port", "0", "--grpc-port", "0", "--host", "127.0.0.1"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    pb.environment().putAll(env);
    Process p = pb.start();
    StringBuffer log = new StringBuffer();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      log.append(line).append('\n');
      Matcher m = STARTED.matcher(line);
      if (m.find()) {
        Thread drainer = new Thread(() -> out.lines().forEach(l -> log.append(l).append('\n')));
        drainer.setDaemon(true);
        drainer.start();
        return new ServerProcess(p, Integer.parseInt(m.group(1)), log);
      }
    }
    return new ServerProcess(p, -1, log);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
