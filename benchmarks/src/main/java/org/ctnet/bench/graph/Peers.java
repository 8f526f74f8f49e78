package org.ctnet.bench.graph;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;

/**
 * Finds and starts the PyTorch peers of one preset: the same network built by {@code benchmarks/peer/torch_ctnet.py}
 * from the same spec, run by Debian's PyTorch ("python") and by PyTorch's own libtorch build through DJL
 * ("libtorch", exported to TorchScript by the same script). A peer that is not on the machine is skipped with how
 * to get it; the harness never downloads one.
 */
final class Peers {
  static final List<String> KINDS = List.of("python", "libtorch");
  private static final Path SCRIPT = Path.of("benchmarks/peer/torch_ctnet.py");
  private static final Path LIBTORCH_JAR = Path.of("benchmarks/peer/libtorch/target/libtorch-peer.jar");
  private static final String PYTHON = "/usr/bin/python3"; // Debian's python3-torch installs for the system Python

  private Peers() {}

  /** The requested peers that could start, each already warmed up; the caller closes them. */
  static List<PeerProcess> start(List<String> kinds, NetworkSpec spec, Path workDir, PrintStream log) throws IOException {
    List<PeerProcess> peers = new ArrayList<>();
    if (kinds.isEmpty()) {
      return peers;
    }
    String missing = pythonTorchMissing();
    if (missing != null) {
      log.println("peers: none (" + missing + ")");
      return peers;
    }
    Files.createDirectories(workDir);
    Path specFile = workDir.resolve(spec.name() + ".json");
    SpecJson.write(spec, specFile);
    String threads = Integer.toString(Runtime.getRuntime().availableProcessors());
    for (String kind : kinds) {
      Path stderr = workDir.resolve(spec.name() + "-" + kind + ".log");
      try {
        List<String> command = switch (kind) {
          case "python" -> List.of(PYTHON, SCRIPT.toString(), "--preset", specFile.toString(), "--threads", threads);
          case "libtorch" -> libtorchCommand(specFile, workDir, threads, log);
          default -> throw new IllegalArgumentException("unknown peer " + kind + " (use " + String.join(",", KINDS) + ")");
        };
        if (command != null) {
          log.printf("peer %s: starting (stderr in %s)%n", kind, stderr);
          peers.add(PeerProcess.start(kind, command, stderr));
        }
      } catch (IOException e) {
        // One peer that cannot start does not cost the run the others, nor our own figures.
        log.printf("peer %s: skipped (%s)%n", kind, e.getMessage());
      }
    }
    return peers;
  }

  /** Null when Debian's PyTorch and the peer script are here, else what is missing and how to get it. */
  private static String pythonTorchMissing() {
    if (!Files.isRegularFile(SCRIPT)) {
      return SCRIPT + " not found: run the harness from the project root (./dev bench)";
    }
    try {
      Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
      p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return null;
      }
    } catch (IOException e) {
      // no python3 at all
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return "PyTorch is not installed: apt-get install python3-torch libopenblas0-pthread";
  }

  /** Exports the TorchScript files and returns the libtorch peer's command, or null when its jar is not built. */
  private static List<String> libtorchCommand(Path specFile, Path workDir, String threads, PrintStream log)
      throws IOException {
    if (!Files.isRegularFile(LIBTORCH_JAR)) {
      log.println("peer libtorch: skipped (" + LIBTORCH_JAR + " not built: ./dev bench --peers builds it)");
      return null;
    }
    Path model = workDir.resolve(specFile.getFileName().toString().replace(".json", ".pt"));
    Process export = new ProcessBuilder(PYTHON, SCRIPT.toString(), "--preset", specFile.toString(), "--export",
        model.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String answer = new String(export.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    try {
      if (export.waitFor() != 0) {
        throw new IOException("TorchScript export failed (exit " + export.exitValue() + ")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted during the TorchScript export", e);
    }
    String flops = new ObjectMapper().readTree(answer.substring(answer.lastIndexOf('{'))).path("forward_flops").asText();
    String java = ProcessHandle.current().info().command().orElse("java");
    return List.of(java, "-DDJL_CACHE_DIR=" + workDir.resolve("djl-cache"), "-jar", LIBTORCH_JAR.toString(),
        model.toString(), flops, threads);
  }
}
