package org.ctnet.graph.blocks;

import org.ctnet.graph.layers.Layers;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * Pre-activation bottleneck residual unit (He et al. 2016, as used by Wang et al. 2017):
 * BN-ReLU-conv1x1(c/4), BN-ReLU-conv3x3(c/4, stride), BN-ReLU-conv1x1(c), plus a shortcut that is
 * the identity, or a strided 1x1 projection of the pre-activated input when the shape changes.
 */
public final class ResidualUnit {
  private ResidualUnit() {}

  public static Operand<TFloat32> apply(
      Layers layers, Operand<TFloat32> x, int outChannels, int stride) {
    int bottleneck = outChannels / 4;
    long inChannels = x.shape().get(3);
    Operand<TFloat32> preActivated = layers.batchNormRelu(x, "bn1");
    Operand<TFloat32> y = layers.conv2d(preActivated, "conv1", bottleneck, 1, 1);
    y = layers.conv2d(layers.batchNormRelu(y, "bn2"), "conv2", bottleneck, 3, stride);
    y = layers.conv2d(layers.batchNormRelu(y, "bn3"), "conv3", outChannels, 1, 1);
    Operand<TFloat32> shortcut =
        (inChannels != outChannels || stride != 1)
            ? layers.conv2d(preActivated, "shortcut", outChannels, 1, stride)
            : x;
    return layers.tf().math.add(y, shortcut);
  }

  /** {@code count} units of unchanged width, in scopes {@code prefix0..prefix(count-1)}. */
  public static Operand<TFloat32> repeat(
      Layers layers, Operand<TFloat32> x, String prefix, int count) {
    int channels = (int) x.shape().get(3);
    for (int i = 0; i < count; i++) {
      x = apply(layers.child(prefix + i), x, channels, 1);
    }
    return x;
  }
}
