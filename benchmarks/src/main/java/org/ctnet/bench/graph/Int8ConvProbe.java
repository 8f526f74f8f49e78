package org.ctnet.bench.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.ctnet.graph.ModelGraph;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
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

  /** One graph per variant and shape; {@code fetch} is what a call runs to. */
  private static final class Variant implements AutoCloseable {
    final Graph graph = new Graph();
    Session session;
    Operand<TFloat32> input;
    Output<?> fetch;
    TFloat32 feed;
    final List<Double> ms = new ArrayList<>();

    void run() {
      try (Result r = session.runner().feed(input, feed).fetch(fetch).run()) {
        r.get(0);
      }
    }

    @Override
    public void close() {
      feed.close();
      session.close();
      graph.close();
    }
  }

  /** IDENTITY: a session run that feeds and fetches without computing, subtracted from the others. */
  private enum Kind { IDENTITY, FP32, INT8_WITH_CONVERSIONS, INT8_CONV_AND_QUANTIZE, QUANTIZE_ONLY }

  public static void main(String[] args) {
    String preset = "ctnet";
    int batch = 8;
    int rounds = 5;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--preset" -> preset = args[++i];
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (use --preset, --batch, --rounds)");
      }
    }
    Map<ConvShape, Integer> shapes = inferenceConvolutions(SpecJson.preset(preset));
    System.out.printf("int8 probe — %s, batch %d, %d convolutions of %d shapes, %d rounds%n", preset, batch,
        shapes.values().stream().mapToInt(Integer::intValue).sum(), shapes.size(), rounds);
    Map<ConvShape, Map<Kind, Variant>> variants = new LinkedHashMap<>();
    try {
      for (ConvShape s : shapes.keySet()) {
        Map<Kind, Variant> byKind = new LinkedHashMap<>();
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
        for (Map<Kind, Variant> m : variants.values()) {
          for (Variant v : m.values()) {
            long start = System.nanoTime();
            for (int i = 0; i < 10; i++) {
              v.run();
            }
            v.ms.add((System.nanoTime() - start) / 1e7);
          }
        }
      }
      report(shapes, variants);
    } finally {
      variants.values().forEach(m -> m.values().forEach(Variant::close));
    }
  }

  private static void report(Map<ConvShape, Integer> shapes, Map<ConvShape, Map<Kind, Variant>> variants) {
    System.out.printf("%-26s %5s %10s %12s %12s %10s%n", "convolution", "count", "fp32 ms", "int8+conv ms", "int8 conv ms",
        "fp32/int8");
    double fp32 = 0;
    double withConversions = 0;
    double convOnly = 0;
    for (var e : variants.entrySet()) {
      int count = shapes.get(e.getKey());
      double overhead = median(e.getValue().get(Kind.IDENTITY).ms);
      double f = median(e.getValue().get(Kind.FP32).ms) - overhead;
      double c = median(e.getValue().get(Kind.INT8_WITH_CONVERSIONS).ms) - overhead;
      double q = Math.max(0, median(e.getValue().get(Kind.INT8_CONV_AND_QUANTIZE).ms)
          - median(e.getValue().get(Kind.QUANTIZE_ONLY).ms));
      fp32 += count * f;
      withConversions += count * c;
      convOnly += count * q;
      System.out.printf("%-26s %5d %10.3f %12.3f %12.3f %9.2fx%n", e.getKey(), count, f, c, q, f / q);
    }
    System.out.printf("%-26s %5s %10.2f %12.2f %12.2f%n", "all (x count)", "", fp32, withConversions, convOnly);
    System.out.printf("int8 with quantize/dequantize around each convolution: %.2fx fp32's speed%n", fp32 / withConversions);
    System.out.printf("int8 convolutions alone (a graph in int8 from end to end, upper bound): %.2fx%n", fp32 / convOnly);
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v[v.length / 2];
  }

  /** The convolutions of the inference path, by shape, with how many times each shape occurs. */
  private static Map<ConvShape, Integer> inferenceConvolutions(NetworkSpec spec) {
    Map<ConvShape, Integer> shapes = new LinkedHashMap<>();
    try (Graph g = new Graph()) {
      ModelGraph.build(g, spec, TrainingSpec.defaults(OptimizerKind.ADAM),
          Preprocessing.forInput(spec.inputHeight(), spec.inputWidth(), spec.inputChannels()));
      g.operations().forEachRemaining(op -> {
        if (op.type().equals("Conv2D") && op.name().startsWith("infer/")) {
          GraphOperation conv = (GraphOperation) op;
          Shape in = conv.input(0).shape();
          Shape filter = conv.input(1).shape();
          long stride = conv.attributes().getAttrIntList("strides")[1];
          shapes.merge(new ConvShape(in.get(1), in.get(2), in.get(3), filter.get(3), filter.get(0), stride), 1, Integer::sum);
        }
      });
    }
    return shapes;
  }

  private static Variant build(ConvShape s, Kind kind, int batch) {
    Variant v = new Variant();
    Ops tf = Ops.create(v.graph);
    Random random = new Random(7);
    v.input = tf.placeholder(TFloat32.class);
    float[] filter = new float[(int) (s.kernel() * s.kernel() * s.in() * s.out())];
    for (int i = 0; i < filter.length; i++) {
      filter[i] = (float) (random.nextGaussian() * Math.sqrt(2.0 / (s.kernel() * s.kernel() * s.in())));
    }
    Shape filterShape = Shape.of(s.kernel(), s.kernel(), s.in(), s.out());
    Operand<TFloat32> w = tf.constant(filterShape, org.tensorflow.ndarray.buffer.DataBuffers.of(filter));
    Operand<TFloat32> bias = tf.constant(new float[(int) s.out()]);
    long[] strides = {1, s.stride(), s.stride(), 1};
    if (kind == Kind.IDENTITY) {
      v.fetch = tf.identity(v.input).asOutput();
    } else if (kind == Kind.FP32) {
      v.fetch = tf.nn.relu(tf.nn.biasAdd(tf.nn.conv2d(v.input, w, Arrays.stream(strides).boxed().toList(), "SAME"), bias))
          .asOutput();
    } else {
      // Activations after ReLU are ≥ 0: quint8 over [0, 4]; weights qint8 over their own range.
      GraphOperation q = v.graph.opBuilder("QuantizeV2", "quantize", tf.scope()).addInput(v.input.asOutput())
          .addInput(tf.constant(0f).asOutput()).addInput(tf.constant(4f).asOutput())
          .setAttr("T", DataType.DT_QUINT8).setAttr("mode", "SCALED").build();
      float range = 0;
      for (float f : filter) {
        range = Math.max(range, Math.abs(f));
      }
      GraphOperation qw = v.graph.opBuilder("QuantizeV2", "quantize_filter", tf.scope()).addInput(w.asOutput())
          .addInput(tf.constant(-range).asOutput()).addInput(tf.constant(range).asOutput())
          .setAttr("T", DataType.DT_QINT8).setAttr("mode", "SCALED").build();
      if (kind == Kind.QUANTIZE_ONLY) {
        v.fetch = q.output(1);
      } else {
        GraphOperation conv = v.graph.opBuilder("QuantizedConv2DWithBiasAndReluAndRequantize", "qconv", tf.scope())
            .addInput(q.output(0)).addInput(qw.output(0)).addInput(bias.asOutput())
            .addInput(q.output(1)).addInput(q.output(2)).addInput(qw.output(1)).addInput(qw.output(2))
            .addInput(tf.constant(0f).asOutput()).addInput(tf.constant(6f).asOutput())
            .setAttr("out_type", DataType.DT_QUINT8).setAttr("strides", strides).setAttr("padding", "SAME").build();
        v.fetch = kind == Kind.INT8_CONV_AND_QUANTIZE ? conv.output(1)
            : v.graph.opBuilder("Dequantize", "dequantize", tf.scope()).addInput(conv.output(0))
                .addInput(conv.output(1)).addInput(conv.output(2)).setAttr("mode", "SCALED").build().output(0);
      }
    }
    float[] x = new float[(int) (batch * s.height() * s.width() * s.in())];
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.max(0, (float) random.nextGaussian());
    }
    v.feed = TFloat32.tensorOf(Shape.of(batch, s.height(), s.width(), s.in()), org.tensorflow.ndarray.buffer.DataBuffers.of(x));
    v.session = new Session(v.graph);
    return v;
  }
}
