package org.ctnet.bench.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One peer framework in its own process, timed a round at a time on request so its rounds interleave with
 * the harness's own (this machine's speed drifts between minutes). Protocol, one JSON object per line: the peer
 * says {@code {"ready": true, "torch": ..., "flops": {config: flops per call}}}, then answers each
 * {@code round} with {@code {"round": {config: ms per call}}}; {@code quit} ends it.
 */
final class PeerProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String label;
  private final Process process;
  private final BufferedReader out;
  private final Writer in;
  private final String version;
  private final Map<String, Double> flops = new LinkedHashMap<>();

  private PeerProcess(String label, List<String> command, Path log) throws IOException {
    this.label = label;
    this.process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    JsonNode ready;
    try {
      ready = readLine("ready");
    } catch (IOException | RuntimeException e) {
      process.destroyForcibly(); // a peer that never became ready is not left running
      throw e;
    }
    this.version = ready.path("torch").asText() + ", " + ready.path("threads").asInt() + " threads";
    ready.path("flops").properties().forEach(e -> flops.put(e.getKey(), e.getValue().asDouble()));
  }

  /** Starts the peer and waits until it has built and warmed up its configurations. */
  static PeerProcess start(String label, List<String> command, Path log) throws IOException {
    return new PeerProcess(label, command, log);
  }

  String label() {
    return label;
  }

  String version() {
    return version;
  }

  /** FLOPs per call of each configuration, as the peer counts them. */
  Map<String, Double> flops() {
    return flops;
  }

  /** Runs one round: ms per call of every configuration. */
  Map<String, Double> round() {
    try {
      in.write("round\n");
      in.flush();
      Map<String, Double> times = new LinkedHashMap<>();
      readLine("round").path("round").properties().forEach(e -> times.put(e.getKey(), e.getValue().asDouble()));
      return times;
    } catch (IOException e) {
      throw new UncheckedIOException(label + " peer failed mid-run", e);
    }
  }

  private JsonNode readLine(String expected) throws IOException {
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("{")) { // libraries may print their own lines (DJL's logger notices) on stdout
        JsonNode node = JSON.readTree(line);
        if (node.has(expected)) {
          return node;
        }
      }
    }
    throw new IOException(label + " peer ended before its '" + expected + "' line (exit "
        + waitFor() + "); its stderr is in the log named above");
  }

  private int waitFor() {
    try {
      return process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Override
  public void close() {
    try {
      in.write("quit\n");
      in.close();
    } catch (IOException ignored) {
      // already gone
    }
    if (waitFor() == -1) {
      process.destroyForcibly();
    }
  }
}
