package org.ctnet.bench.graph;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A small graph timed on its own: one float input fed from a tensor made once, one output fetched, and the
 * ms per call of each round. The probes build one per variant and interleave their rounds. Owns its graph,
 * session and input tensor.
 */
final class TimedGraph implements AutoCloseable {
  final Graph graph = new Graph();
  final Ops tf = Ops.create(graph);
  final Operand<TFloat32> input = tf.placeholder(TFloat32.class);
  private final List<Double> ms = new ArrayList<>();
  private Session session;
  private Output<?> fetch;
  private TFloat32 feed;

  /** Fixes what a call computes, and its input; the graph is complete after this. */
  void ready(Output<?> fetch, Shape shape, float[] values) {
    this.fetch = fetch;
    this.feed = TFloat32.tensorOf(shape, DataBuffers.of(values));
    this.session = new Session(graph);
  }

  void run() {
    try (Result r = session.runner().feed(input, feed).fetch(fetch).run()) {
      r.get(0);
    }
  }

  /** Times {@code reps} calls as one round. */
  void round(int reps) {
    long start = System.nanoTime();
    for (int i = 0; i < reps; i++) {
      run();
    }
    ms.add((System.nanoTime() - start) / 1e6 / reps);
  }

  double medianMs() {
    double[] v = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v[v.length / 2];
  }

  @Override
  public void close() {
    if (feed != null) {
      feed.close();
    }
    if (session != null) {
      session.close();
    }
    graph.close();
  }
}
