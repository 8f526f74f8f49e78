package org.ctnet.bench.graph;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;

/**
 * Where a session run spends its time, by op type, from TensorFlow's step statistics (a full trace
 * of each run): what to optimise, and whether the convolutions (the FLOPs) or the rest (batch norm,
 * element-wise ops, copies, layout changes) dominate. Op times overlap when ops run in parallel, so
 * their sum can exceed the wall time; the shares are of the summed op time.
 */
final class OpProfile {
  private OpProfile() {}

  /** Runs {@code runner} (a fully fed runner, fresh per call) {@code runs} times traced; prints the top ops. */
  static void print(String title, Graph graph, Supplier<Session.Runner> runner, int runs, int top) {
    RunOptions trace = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
    Map<String, Long> microsByType = new HashMap<>();
    Map<String, Integer> countByType = new HashMap<>();
    Map<String, String> typeOfNode = new HashMap<>();
    long wallMicros = 0;
    for (int i = 0; i < runs + 1; i++) {
      long start = System.nanoTime();
      try (Result r = runner.get().setOptions(trace).runAndFetchMetadata()) {
        long wall = (System.nanoTime() - start) / 1000;
        if (i == 0) {
          continue; // the first traced run pays for setting tracing up
        }
        wallMicros += wall;
        RunMetadata meta = r.getMetadata().orElseThrow(() -> new IllegalStateException("no run metadata"));
        for (DeviceStepStats device : meta.getStepStats().getDevStatsList()) {
          for (NodeExecStats node : device.getNodeStatsList()) {
            String type = typeOfNode.computeIfAbsent(node.getNodeName(), name -> typeOf(graph, name, node));
            microsByType.merge(type, node.getOpEndRelMicros() - node.getOpStartRelMicros(), Long::sum);
            countByType.merge(type, 1, Integer::sum);
          }
        }
      }
    }
    long total = microsByType.values().stream().mapToLong(Long::longValue).sum();
    System.out.printf("%n%s: wall %.2f ms per traced run, summed op time %.2f ms%n", title, wallMicros / 1000.0 / runs,
        total / 1000.0 / runs);
    System.out.printf("  %-32s %9s %7s %7s%n", "op type", "ms/run", "share", "ops/run");
    Map<String, Long> sorted = new LinkedHashMap<>();
    microsByType.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    for (var e : sorted.entrySet()) {
      System.out.printf("  %-32s %9.3f %6.1f%% %7d%n", e.getKey(), e.getValue() / 1000.0 / runs,
          100.0 * e.getValue() / total, countByType.get(e.getKey()) / runs);
    }
  }

  /** The op's type from the graph; ops that grappler created (fused kernels) from the trace label. */
  private static String typeOf(Graph graph, String nodeName, NodeExecStats node) {
    GraphOperation op = graph.operation(nodeName);
    if (op != null) {
      return op.type();
    }
    // Timeline labels read "name = Type(inputs)"; grappler's fused ops exist only at run time.
    String label = node.getTimelineLabel();
    int eq = label.indexOf(" = ");
    int paren = label.indexOf('(', Math.max(eq, 0));
    if (eq >= 0 && paren > eq) {
      return label.substring(eq + 3, paren) + " (rewritten)";
    }
    return nodeName.startsWith("_") ? nodeName.replaceAll("[0-9/]+$", "") : "(unknown)";
  }
}
