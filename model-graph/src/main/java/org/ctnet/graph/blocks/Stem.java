package org.ctnet.graph.blocks;

import org.ctnet.graph.layers.Layers;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.StemSpec;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/** Optional input average pool → conv(k×k, stride) → BN → ReLU → optional 3×3/2 max pool. */
public final class Stem {
  private Stem() {}

  public static Operand<TFloat32> apply(Layers layers, Operand<TFloat32> x, StemSpec spec) {
    if (spec.inputPool() > 1) {
      x = layers.averagePool(x, "input_pool", spec.inputPool());
    }
    layers.recordDecoderInput(NetworkSpec.LESION_INPUT, x);
    Operand<TFloat32> y = layers.conv2d(x, "conv", spec.filters(), spec.kernelSize(), spec.stride());
    y = layers.recordDecoderInput(NetworkSpec.LESION_STEM_CONV, layers.batchNormRelu(y, "bn"));
    if (spec.maxPool()) {
      y = layers.maxPool3x3Stride2(y, "pool");
    }
    return y;
  }
}
