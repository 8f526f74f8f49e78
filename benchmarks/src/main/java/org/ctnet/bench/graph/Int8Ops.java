package org.ctnet.bench.graph;

import java.util.Random;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;

/**
 * oneDNN's int8 ops through the raw op builder (TF-Java has no quantized types, so their tensors never reach
 * Java: each quantized value is an operation whose outputs are [values, min, max]), and the fp32 constants the
 * probes' layers need. Ranges are fixed, not calibrated: the probes time kernels, they do not score images.
 */
final class Int8Ops {
  static final String CONV_RELU_REQUANTIZE = "QuantizedConv2DWithBiasAndReluAndRequantize";
  static final String CONV_REQUANTIZE = "QuantizedConv2DWithBiasAndRequantize";

  private final TimedGraph g;
  private final Ops tf;
  private final Random random = new Random(7);
  private int serial;

  Int8Ops(TimedGraph g) {
    this.g = g;
    this.tf = g.tf;
  }

  /** He-initialised filter values, [k, k, in, out] flattened. */
  float[] filterValues(long kernel, long in, long out) {
    float[] f = new float[(int) (kernel * kernel * in * out)];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) (random.nextGaussian() * Math.sqrt(2.0 / (kernel * kernel * in)));
    }
    return f;
  }

  Operand<TFloat32> constant(float[] values, Shape shape) {
    return tf.constant(shape, DataBuffers.of(values));
  }

  Operand<TFloat32> zeros(long n) {
    return tf.constant(new float[(int) n]);
  }

  /** {@code x} as quint8 (non-negative activations) or qint8 over [min, max]. */
  GraphOperation quantize(Operand<TFloat32> x, float min, float max, DataType type) {
    return g.graph.opBuilder("QuantizeV2", "quantize_" + serial++, tf.scope()).addInput(x.asOutput())
        .addInput(tf.constant(min).asOutput()).addInput(tf.constant(max).asOutput())
        .setAttr("T", type).setAttr("mode", "SCALED").build();
  }

  /** A filter as qint8 over its own symmetric range. */
  GraphOperation filter(long kernel, long in, long out) {
    float[] values = filterValues(kernel, in, out);
    float range = 0;
    for (float f : values) {
      range = Math.max(range, Math.abs(f));
    }
    return quantize(constant(values, Shape.of(kernel, kernel, in, out)), -range, range, DataType.DT_QINT8);
  }

  /** One of the requantizing int8 convolutions: quantized input and filter, fp32 bias, output over [min, max]. */
  GraphOperation conv(String op, GraphOperation input, GraphOperation filter, long outChannels, long stride, float outMin,
      float outMax, DataType outType) {
    return g.graph.opBuilder(op, "qconv_" + serial++, tf.scope())
        .addInput(input.output(0)).addInput(filter.output(0)).addInput(zeros(outChannels).asOutput())
        .addInput(input.output(1)).addInput(input.output(2)).addInput(filter.output(1)).addInput(filter.output(2))
        .addInput(tf.constant(outMin).asOutput()).addInput(tf.constant(outMax).asOutput())
        .setAttr("out_type", outType).setAttr("strides", new long[] {1, stride, stride, 1}).setAttr("padding", "SAME")
        .build();
  }

  @SuppressWarnings("unchecked")
  Output<TFloat32> dequantize(GraphOperation quantized) {
    return (Output<TFloat32>) (Output<?>) g.graph.opBuilder("Dequantize", "dequantize_" + serial++, tf.scope())
        .addInput(quantized.output(0)).addInput(quantized.output(1)).addInput(quantized.output(2))
        .setAttr("mode", "SCALED").build().output(0);
  }

  /** Non-negative random activations, as after a ReLU. */
  float[] activations(long size) {
    float[] x = new float[(int) size];
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.max(0, (float) random.nextGaussian());
    }
    return x;
  }
}
