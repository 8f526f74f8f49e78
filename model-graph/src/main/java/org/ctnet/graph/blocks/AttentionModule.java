package org.ctnet.graph.blocks;

import org.ctnet.graph.layers.Layers;
import org.ctnet.graph.spec.AttentionSpec;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Attention module of the Residual Attention Network (Wang et al. 2017).
 *
 * <pre>
 *   x → p units → ┬→ trunk: t units ───────────────────────────────┬→ (1 + M) · T → p units
 *                 └→ soft mask: hourglass(depth) + T → BN-ReLU-1x1 → BN-ReLU-1x1 → sigmoid = M
 * </pre>
 *
 * The hourglass max-pools, runs r units, keeps a skip unit, recurses one level deeper, adds the
 * deeper level (bilinearly upsampled) to the skip, runs r units and upsamples; at the bottom it
 * runs 2r units. Mask and trunk have the same shape, so M gates every channel at every position.
 */
public final class AttentionModule {
  private AttentionModule() {}

  public static Operand<TFloat32> apply(Layers layers, Operand<TFloat32> x, AttentionSpec spec) {
    x = ResidualUnit.repeat(layers, x, "pre", spec.preUnits());
    Operand<TFloat32> trunk = ResidualUnit.repeat(layers.child("trunk"), x, "unit", spec.trunkUnits());

    Layers mask = layers.child("mask");
    Ops tf = mask.tf();
    Operand<TFloat32> hourglass = hourglass(mask, x, spec.maskUnits(), spec.maskDepth(), 1);
    Operand<TFloat32> merged = tf.math.add(hourglass, trunk);
    int channels = (int) x.shape().get(3);
    Operand<TFloat32> m = mask.conv2d(mask.batchNormRelu(merged, "bn_out1"), "conv_out1", channels, 1, 1);
    m = mask.conv2d(mask.batchNormRelu(m, "bn_out2"), "conv_out2", channels, 1, 1);
    Operand<TFloat32> softMask = tf.math.sigmoid(m);
    mask.recordSoftMask(softMask);

    Operand<TFloat32> gated = tf.math.mul(tf.math.add(tf.constant(1f), softMask), trunk);
    return ResidualUnit.repeat(layers, gated, "post", spec.preUnits());
  }

  /** One level of the hourglass; returns a map the size of {@code x}. */
  private static Operand<TFloat32> hourglass(
      Layers mask, Operand<TFloat32> x, int r, int remainingDepth, int level) {
    Layers here = mask.child("level" + level);
    Operand<TFloat32> down = here.maxPool3x3Stride2(x, "pool");
    Operand<TFloat32> y = ResidualUnit.repeat(here, down, "down", r);
    if (remainingDepth > 1) {
      Operand<TFloat32> skip = ResidualUnit.apply(here.child("skip"), y, (int) y.shape().get(3), 1);
      Operand<TFloat32> deeper = hourglass(mask, y, r, remainingDepth - 1, level + 1);
      y = here.tf().math.add(deeper, skip);
    }
    y = ResidualUnit.repeat(here, y, "up", r);
    return here.resizeBilinear(y, x.shape().get(1), x.shape().get(2));
  }
}
