package org.ctnet.graph.blocks;

import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.layers.BuildRecord;
import org.ctnet.graph.layers.Layers;
import org.ctnet.graph.spec.NetworkSpec;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The dense lesion head (see {@link org.ctnet.graph.spec.LesionHeadSpec}): a decoder from a stage's output up to the
 * image the stem sees, with skips from every finer level, ending in two per-pixel logits
 * (channel {@value #LESION}: COVID-19-type infection, channel {@value #LUNG}: lung field).
 */
public final class LesionDecoder {
  /** Channel of the lesion logit. */
  public static final int LESION = 0;
  /** Channel of the lung-field logit. */
  public static final int LUNG = 1;

  private LesionDecoder() {}

  /** Builds the decoder on a path whose blocks are recorded in {@code record}; returns logits [N, h, w, 2]. */
  public static Operand<TFloat32> apply(Layers layers, BuildRecord record, NetworkSpec spec) {
    List<NetworkSpec.LesionLevel> levels = spec.lesionLevels();
    List<Integer> channels = spec.lesionHead().channels();
    Ops tf = layers.tf();
    Operand<TFloat32> y = null;
    for (int i = 0; i < levels.size(); i++) {
      NetworkSpec.LesionLevel level = levels.get(i);
      Layers here = layers.child("level" + i);
      Operand<TFloat32> skip = skip(here, record, level);
      Operand<TFloat32> in = y == null ? skip
          : tf.concat(List.of(here.resizeBilinear(y, level.height(), level.width()), skip), tf.constant(3));
      y = here.batchNormRelu(here.conv2d(in, "conv", channels.get(i), 3, 1), "bn");
    }
    return layers.conv1x1WithBias(y, "logits", 2);
  }

  /** The level's features as the decoder concatenates them (activated when they are a block's raw sum). */
  private static Operand<TFloat32> skip(Layers here, BuildRecord record, NetworkSpec.LesionLevel level) {
    return switch (level.feature()) {
      case NetworkSpec.LESION_INPUT, NetworkSpec.LESION_STEM_CONV -> record.decoderInputs().get(level.feature());
      default -> here.batchNormRelu(record.feature(level.feature()), "skip_bn");
    };
  }

  /** One channel of the logits as [N, h, w]. */
  public static Operand<TFloat32> channel(Ops tf, Operand<TFloat32> logits, int channel) {
    Operand<TFloat32> sliced = tf.slice(logits, tf.constant(new int[] {0, 0, 0, channel}),
        tf.constant(new int[] {-1, -1, -1, 1}));
    return tf.squeeze(sliced, org.tensorflow.op.core.Squeeze.axis(List.of(3L)));
  }

  /**
   * The lesion evidence the classifier sees beside its average pool, all without gradient (the
   * lesion head learns from masks only; the class loss must not teach it where a source's COVID
   * slices differ): the features averaged with the lesion probability as weights, the soft
   * involvement Σ p·q / (Σ q + 1) and the peak of the 4×4-smoothed lesion probability.
   */
  public static Operand<TFloat32> evidence(Layers layers, Operand<TFloat32> lesionLogits, Operand<TFloat32> features) {
    Ops tf = layers.tf().withSubScope("lesion_evidence");
    Operand<TFloat32> probabilities = tf.stopGradient(tf.math.sigmoid(lesionLogits));
    Operand<TFloat32> lesion = channel(tf, probabilities, LESION);
    Operand<TFloat32> lung = channel(tf, probabilities, LUNG);
    Operand<org.tensorflow.types.TInt32> spatial = tf.constant(new int[] {1, 2});
    Operand<TFloat32> involvement = tf.math.div(tf.sum(tf.math.mul(lesion, lung), spatial),
        tf.math.add(tf.sum(lung, spatial), tf.constant(1f)));
    Operand<TFloat32> lesion4 = tf.expandDims(lesion, tf.constant(3));
    Operand<TFloat32> smoothed = tf.nn.avgPool(lesion4, List.of(1L, 4L, 4L, 1L), List.of(1L, 1L, 1L, 1L), "SAME");
    Operand<TFloat32> peak = tf.max(smoothed, tf.constant(new int[] {1, 2, 3}));
    Operand<TFloat32> weights = layers.resizeBilinear(lesion4, features.shape().get(1), features.shape().get(2));
    weights = tf.stopGradient(weights);
    Operand<TFloat32> pooled = tf.math.div(tf.sum(tf.math.mul(features, weights), spatial),
        tf.math.add(tf.sum(weights, spatial), tf.constant(1e-3f)));
    List<Operand<TFloat32>> parts = new ArrayList<>();
    parts.add(pooled);
    parts.add(tf.expandDims(involvement, tf.constant(1)));
    parts.add(tf.expandDims(peak, tf.constant(1)));
    return tf.concat(parts, tf.constant(1));
  }
}
