package org.ctnet.bench.graph;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * Whether int8 inference can pay on this network: every convolution of a preset's inference path (shapes read from
 * the built graph), timed at one batch size as TensorFlow runs it in fp32 (Conv2D + BiasAdd + ReLU, which grappler
 * fuses) and as oneDNN's int8 kernel ({@code QuantizedConv2DWithBiasAndReluAndRequantize}, quint8 activations, qint8
 * weights) — with the quantize and dequantize a convolution-by-convolution int8 graph needs around it, and without
 * them (the bound for a graph that stayed in int8 from end to end). Rounds interleave, medians reported, each less
 * the cost of a session run that computes nothing (feed and fetch only). The sum over
 * the network's convolutions bounds what int8 can give the whole forward pass.
 *
 * <p>Usage: {@code java -cp benchmarks.jar org.ctnet.bench.graph.Int8ConvProbe [--preset ctnet] [--batch 8]
 * [--rounds 5]}
 */
public final class Int8ConvProbe {
  private record ConvShape(long height, long width, long in, long out, long kernel, long stride) {
    @Override
    public String toString() {
      return String.format("%dx%d %dx%d %d->%d /%d", height, width, kernel, kernel, in, out, stride);
    }
  }

  /** IDENTITY: a session run that feeds and fetches without computing, subtracted from the others. */
  private enum Kind { IDENTITY, FP32, INT8_WITH_CONVERSIONS, INT8_CONV_AND_QUANTIZE, QUANTIZE_ONLY }

  public static void main(String[] args) {
    ProbeArgs a = ProbeArgs.parse(args);
    String preset = a.preset();
    int batch = a.batch();
    int rounds = a.rounds();
    Map<ConvShape, Integer> shapes = inferenceConvolutions(SpecJson.preset(preset));
    System.out.printf("int8 probe — %s, batch %d, %d convolutions of %d shapes, %d rounds%n", preset, batch,
        shapes.values().stream().mapToInt(Integer::intValue).sum(), shapes.size(), rounds);
    Map<ConvShape, Map<Kind, TimedGraph>> variants = new LinkedHashMap<>();
    try {
      for (ConvShape s : shapes.keySet()) {
        Map<Kind, TimedGraph> byKind = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
          byKind.put(k, build(s, k, batch));
        }
        variants.put(s, byKind);
      }
      variants.values().forEach(m -> m.values().forEach(v -> {
        for (int i = 0; i < 3; i++) {
          v.run();
        }
      }));
      for (int round = 0; round < rounds; round++) {
        variants.values().forEach(m -> m.values().forEach(v -> v.round(10)));
      }
      report(shapes, variants);
    } finally {
      variants.values().forEach(m -> m.values().forEach(TimedGraph::close));
    }
  }

  private static void report(Map<ConvShape, Integer> shapes, Map<ConvShape, Map<Kind, TimedGraph>> variants) {
    System.out.printf("%-26s %5s %10s %12s %12s %10s%n", "convolution", "count", "fp32 ms", "int8+conv ms", "int8 conv ms",
        "fp32/int8");
    double fp32 = 0;
    double withConversions = 0;
    double convOnly = 0;
    for (var e : variants.entrySet()) {
      int count = shapes.get(e.getKey());
      double overhead = e.getValue().get(Kind.IDENTITY).medianMs();
      double f = e.getValue().get(Kind.FP32).medianMs() - overhead;
      double c = e.getValue().get(Kind.INT8_WITH_CONVERSIONS).medianMs() - overhead;
      double q = Math.max(0, e.getValue().get(Kind.INT8_CONV_AND_QUANTIZE).medianMs()
          - e.getValue().get(Kind.QUANTIZE_ONLY).medianMs());
      fp32 += count * f;
      withConversions += count * c;
      convOnly += count * q;
      System.out.printf("%-26s %5d %10.3f %12.3f %12.3f %9.2fx%n", e.getKey(), count, f, c, q, f / q);
    }
    System.out.printf("%-26s %5s %10.2f %12.2f %12.2f%n", "all (x count)", "", fp32, withConversions, convOnly);
    System.out.printf("int8 with quantize/dequantize around each convolution: %.2fx fp32's speed%n", fp32 / withConversions);
    System.out.printf("int8 convolutions alone (a graph in int8 from end to end, upper bound): %.2fx%n", fp32 / convOnly);
  }

  /** The convolutions of the inference path, by shape, with how many times each shape occurs. */
  private static Map<ConvShape, Integer> inferenceConvolutions(NetworkSpec spec) {
    Map<ConvShape, Integer> shapes = new LinkedHashMap<>();
    for (InferenceConvs.Conv c : InferenceConvs.of(spec)) {
      shapes.merge(new ConvShape(c.height(), c.width(), c.in(), c.out(), c.kernel(), c.stride()), 1, Integer::sum);
    }
    return shapes;
  }

  private static TimedGraph build(ConvShape s, Kind kind, int batch) {
    TimedGraph v = new TimedGraph();
    Int8Ops int8 = new Int8Ops(v);
    Ops tf = v.tf;
    Output<?> fetch;
    if (kind == Kind.IDENTITY) {
      fetch = tf.identity(v.input).asOutput();
    } else if (kind == Kind.FP32) {
      Operand<TFloat32> w = int8.constant(int8.filterValues(s.kernel(), s.in(), s.out()),
          Shape.of(s.kernel(), s.kernel(), s.in(), s.out()));
      fetch = tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(v.input, w, List.of(1L, s.stride(), s.stride(), 1L), "SAME"),
          int8.zeros(s.out()))).asOutput();
    } else {
      // Activations after ReLU are ≥ 0: quint8 over [0, 4]; weights qint8 over their own range.
      GraphOperation q = int8.quantize(v.input, 0f, 4f, DataType.DT_QUINT8);
      if (kind == Kind.QUANTIZE_ONLY) {
        fetch = q.output(1);
      } else {
        GraphOperation conv = int8.conv(Int8Ops.CONV_RELU_REQUANTIZE, q, int8.filter(s.kernel(), s.in(), s.out()), s.out(),
            s.stride(), 0f, 6f, DataType.DT_QUINT8);
        fetch = kind == Kind.INT8_CONV_AND_QUANTIZE ? conv.output(1) : int8.dequantize(conv);
      }
    }
    v.ready(fetch, Shape.of(batch, s.height(), s.width(), s.in()), int8.activations(batch * s.height() * s.width() * s.in()));
    return v;
  }
}
