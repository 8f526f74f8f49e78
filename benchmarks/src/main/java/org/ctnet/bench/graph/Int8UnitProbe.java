package org.ctnet.bench.graph;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.spec.SpecJson;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * The int8 design a pre-activation network allows, measured a residual unit at a time instead of projected: the
 * residual stream and the first batch norm + ReLU stay fp32, the unit's input is quantized once, conv1 and conv2
 * run in int8 with their ReLU and requantize (their batch norms folded), conv3 and a projection shortcut requantize
 * to qint8 and are dequantized for the fp32 addition. Against the same unit as TensorFlow runs it in fp32. Every
 * pre-activation unit of the preset's inference path (read from the built graph) is built and timed in interleaved
 * rounds, net of a session run that computes nothing; the sum over units covers all but the stem's and the attention
 * mask's last convolutions.
 *
 * <p>Usage: {@code java -cp benchmarks.jar org.ctnet.bench.graph.Int8UnitProbe [--preset ctnet] [--batch 8]
 * [--rounds 5]}
 */
public final class Int8UnitProbe {
  private record UnitShape(long height, long width, long in, long bottleneck, long out, long stride, boolean projection) {
    @Override
    public String toString() {
      return String.format("%dx%d %d->%d->%d /%d%s", height, width, in, bottleneck, out, stride, projection ? " proj" : "");
    }
  }

  public static void main(String[] args) {
    ProbeArgs a = ProbeArgs.parse(args);
    String preset = a.preset();
    int batch = a.batch();
    int rounds = a.rounds();
    Map<UnitShape, Integer> units = units(InferenceConvs.of(SpecJson.preset(preset)));
    System.out.printf("int8 unit probe — %s, batch %d, %d residual units of %d shapes, %d rounds%n", preset, batch,
        units.values().stream().mapToInt(Integer::intValue).sum(), units.size(), rounds);
    Map<UnitShape, TimedGraph[]> graphs = new LinkedHashMap<>();
    try {
      for (UnitShape u : units.keySet()) {
        graphs.put(u, new TimedGraph[] {identity(u, batch), fp32(u, batch), int8(u, batch)});
      }
      for (TimedGraph[] g : graphs.values()) {
        for (TimedGraph t : g) {
          for (int i = 0; i < 3; i++) {
            t.run();
          }
        }
      }
      for (int round = 0; round < rounds; round++) {
        for (TimedGraph[] g : graphs.values()) {
          for (TimedGraph t : g) {
            t.round(10);
          }
        }
      }
      System.out.printf("%-30s %5s %10s %10s %10s%n", "unit", "count", "fp32 ms", "int8 ms", "fp32/int8");
      double fp32 = 0;
      double int8 = 0;
      for (var e : graphs.entrySet()) {
        int count = units.get(e.getKey());
        double overhead = e.getValue()[0].medianMs();
        double f = e.getValue()[1].medianMs() - overhead;
        double q = e.getValue()[2].medianMs() - overhead;
        fp32 += count * f;
        int8 += count * q;
        System.out.printf("%-30s %5d %10.3f %10.3f %9.2fx%n", e.getKey(), count, f, q, f / q);
      }
      System.out.printf("%-30s %5s %10.2f %10.2f %9.2fx%n", "all units (x count)", "", fp32, int8, fp32 / int8);
    } finally {
      graphs.values().forEach(g -> {
        for (TimedGraph t : g) {
          t.close();
        }
      });
    }
  }

  /** Units are the scopes holding conv1, conv2 and conv3 (and a shortcut when the shape changes). */
  private static Map<UnitShape, Integer> units(List<InferenceConvs.Conv> convs) {
    Map<String, InferenceConvs.Conv> byName = new LinkedHashMap<>();
    convs.forEach(c -> byName.put(c.name(), c));
    Map<UnitShape, Integer> units = new LinkedHashMap<>();
    for (InferenceConvs.Conv c1 : convs) {
      if (!c1.name().endsWith("/conv1")) {
        continue;
      }
      String scope = c1.name().substring(0, c1.name().length() - "conv1".length());
      InferenceConvs.Conv c2 = byName.get(scope + "conv2");
      InferenceConvs.Conv c3 = byName.get(scope + "conv3");
      if (c2 == null || c3 == null) {
        throw new IllegalStateException("unit " + scope + " lacks conv2 or conv3: the network's layout changed");
      }
      boolean projection = byName.containsKey(scope + "shortcut");
      units.merge(new UnitShape(c1.height(), c1.width(), c1.in(), c1.out(), c3.out(), c2.stride(), projection), 1,
          Integer::sum);
    }
    return units;
  }

  private static TimedGraph identity(UnitShape u, int batch) {
    TimedGraph g = new TimedGraph();
    g.ready(g.tf.identity(g.input).asOutput(), inputShape(u, batch), new Int8Ops(g).activations(inputSize(u, batch)));
    return g;
  }

  /** As the inference graph runs it: scale-shift-ReLU, conv+BN+ReLU twice (fused), conv3, the addition. */
  private static TimedGraph fp32(UnitShape u, int batch) {
    TimedGraph g = new TimedGraph();
    Int8Ops ops = new Int8Ops(g);
    Ops tf = g.tf;
    Operand<TFloat32> pre = preActivation(g, ops, u);
    Operand<TFloat32> y = tf.nn.relu(tf.nn.biasAdd(conv(g, ops, pre, 1, u.in(), u.bottleneck(), 1), ops.zeros(u.bottleneck())));
    y = tf.nn.relu(tf.nn.biasAdd(conv(g, ops, y, 3, u.bottleneck(), u.bottleneck(), u.stride()), ops.zeros(u.bottleneck())));
    y = conv(g, ops, y, 1, u.bottleneck(), u.out(), 1);
    Operand<TFloat32> shortcut = u.projection() ? conv(g, ops, pre, 1, u.in(), u.out(), u.stride()) : g.input;
    g.ready(tf.math.add(y, shortcut).asOutput(), inputShape(u, batch), ops.activations(inputSize(u, batch)));
    return g;
  }

  /** Quantized once after the pre-activation; conv1 and conv2 stay in int8; conv3 and the shortcut come back. */
  private static TimedGraph int8(UnitShape u, int batch) {
    TimedGraph g = new TimedGraph();
    Int8Ops ops = new Int8Ops(g);
    GraphOperation q = ops.quantize(preActivation(g, ops, u), 0f, 4f, DataType.DT_QUINT8);
    GraphOperation y = ops.conv(Int8Ops.CONV_RELU_REQUANTIZE, q, ops.filter(1, u.in(), u.bottleneck()), u.bottleneck(),
        1, 0f, 6f, DataType.DT_QUINT8);
    y = ops.conv(Int8Ops.CONV_RELU_REQUANTIZE, y, ops.filter(3, u.bottleneck(), u.bottleneck()), u.bottleneck(),
        u.stride(), 0f, 6f, DataType.DT_QUINT8);
    y = ops.conv(Int8Ops.CONV_REQUANTIZE, y, ops.filter(1, u.bottleneck(), u.out()), u.out(), 1, -8f, 8f,
        DataType.DT_QINT8);
    Operand<TFloat32> shortcut = u.projection()
        ? ops.dequantize(ops.conv(Int8Ops.CONV_REQUANTIZE, q, ops.filter(1, u.in(), u.out()), u.out(), u.stride(), -8f,
            8f, DataType.DT_QINT8))
        : g.input;
    g.ready(g.tf.math.add(ops.dequantize(y), shortcut).asOutput(), inputShape(u, batch),
        ops.activations(inputSize(u, batch)));
    return g;
  }

  /** The unit's first batch norm at inference (a per-channel scale and shift after an addition) and its ReLU. */
  private static Operand<TFloat32> preActivation(TimedGraph g, Int8Ops ops, UnitShape u) {
    float[] scale = new float[(int) u.in()];
    Arrays.fill(scale, 0.9f);
    return g.tf.nn.relu(g.tf.math.add(g.tf.math.mul(g.input, ops.constant(scale, Shape.of(u.in()))), ops.zeros(u.in())));
  }

  private static Operand<TFloat32> conv(TimedGraph g, Int8Ops ops, Operand<TFloat32> x, long kernel, long in, long out,
      long stride) {
    Operand<TFloat32> w = ops.constant(ops.filterValues(kernel, in, out), Shape.of(kernel, kernel, in, out));
    return g.tf.nn.conv2d(x, w, List.of(1L, stride, stride, 1L), "SAME");
  }

  private static Shape inputShape(UnitShape u, int batch) {
    return Shape.of(batch, u.height(), u.width(), u.in());
  }

  private static long inputSize(UnitShape u, int batch) {
    return batch * u.height() * u.width() * u.in();
  }
}
