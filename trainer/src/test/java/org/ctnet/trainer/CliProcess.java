package org.ctnet.trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The real CLI in its own JVM, so a test can kill it with {@code kill -9} mid-run. */
final class CliProcess {
  private CliProcess() {}

  /** Starts {@code ctnet <args>} on the test class path, stdout and stderr into {@code log}. */
  static Process start(List<String> args, Path log) throws IOException {
    return start(List.of(), args, log);
  }

  /**
   * As {@link #start(List, Path)}, with no file the process writes allowed past {@code maxKiB}
   * ({@code ulimit -f}): a write beyond it fails with "File too large" (the JVM ignores SIGXFSZ),
   * the way a full disk fails a write, without needing a small file system.
   */
  static Process startWithFileLimit(long maxKiB, List<String> args, Path log) throws IOException {
    return start(List.of("bash", "-c", "ulimit -f " + maxKiB + " && exec \"$@\"", "bash"), args, log);
  }

  private static Process start(List<String> prefix, List<String> args, Path log) throws IOException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-XX:-UsePerfData"));
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.ctnet.trainer.Main"));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    return pb.start();
  }
}
