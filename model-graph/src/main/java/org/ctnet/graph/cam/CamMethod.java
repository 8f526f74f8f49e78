package org.ctnet.graph.cam;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * One member of the CAM family. The shared base ({@link CamGraph}) owns target selection,
 * gradients, the final ReLU, upsampling and normalisation; a method only says how activations
 * A [N,h,w,K] and gradients g = ∂score/∂A are combined into a per-position, per-channel
 * contribution that the base sums over channels.
 */
public enum CamMethod {
  /** Selvaraju et al. 2017: w_k = mean_ab g; contribution w_k · A. */
  GRAD_CAM("gradcam") {
    @Override
    Operand<TFloat32> contributions(Ops tf, Operand<TFloat32> a, Operand<TFloat32> g) {
      Operand<TFloat32> weights = tf.math.mean(g, tf.constant(new int[] {1, 2}), org.tensorflow.op.math.Mean.keepDims(true));
      return tf.math.mul(weights, a);
    }
  },
  /**
   * Chattopadhay et al. 2018 (exp-score form): α = g² / (2g² + Σ_ab A · g³), zero where the
   * denominator is 0; w_k = Σ_ab α · ReLU(g); contribution w_k · A.
   */
  GRAD_CAM_PLUS_PLUS("gradcampp") {
    @Override
    Operand<TFloat32> contributions(Ops tf, Operand<TFloat32> a, Operand<TFloat32> g) {
      Operand<TFloat32> g2 = tf.math.square(g);
      Operand<TFloat32> g3 = tf.math.mul(g2, g);
      Operand<TFloat32> sumA = tf.sum(a, tf.constant(new int[] {1, 2}), org.tensorflow.op.core.Sum.keepDims(true));
      Operand<TFloat32> denominator = tf.math.add(tf.math.mul(tf.constant(2f), g2), tf.math.mul(sumA, g3));
      Operand<TFloat32> alpha = tf.math.divNoNan(g2, denominator);
      Operand<TFloat32> weights =
          tf.sum(tf.math.mul(alpha, tf.nn.relu(g)), tf.constant(new int[] {1, 2}), org.tensorflow.op.core.Sum.keepDims(true));
      return tf.math.mul(weights, a);
    }
  },
  /** Draelos &amp; Carin 2020: element-wise g · A (faithful to the score for this layer). */
  HIRES_CAM("hirescam") {
    @Override
    Operand<TFloat32> contributions(Ops tf, Operand<TFloat32> a, Operand<TFloat32> g) {
      return tf.math.mul(g, a);
    }
  },
  /** Jiang et al. 2021: element-wise ReLU(g) · A. */
  LAYER_CAM("layercam") {
    @Override
    Operand<TFloat32> contributions(Ops tf, Operand<TFloat32> a, Operand<TFloat32> g) {
      return tf.math.mul(tf.nn.relu(g), a);
    }
  },
  /** Fu et al. 2020: w_k = Σ_ab A·g / Σ_ab A (0 where Σ A = 0); contribution w_k · A. */
  XGRAD_CAM("xgradcam") {
    @Override
    Operand<TFloat32> contributions(Ops tf, Operand<TFloat32> a, Operand<TFloat32> g) {
      Operand<TFloat32> weighted = tf.sum(tf.math.mul(a, g), tf.constant(new int[] {1, 2}), org.tensorflow.op.core.Sum.keepDims(true));
      Operand<TFloat32> total = tf.sum(a, tf.constant(new int[] {1, 2}), org.tensorflow.op.core.Sum.keepDims(true));
      return tf.math.mul(tf.math.divNoNan(weighted, total), a);
    }
  },
  /**
   * Not gradient-based: the soft mask M of the last attention module (channel mean of the
   * sigmoid), min–max normalised per image. Class-independent: it shows where the network
   * chose to look, not what made it decide.
   */
  ATTENTION("attention") {
    @Override
    Operand<TFloat32> contributions(Ops tf, Operand<TFloat32> a, Operand<TFloat32> g) {
      throw new UnsupportedOperationException("the attention map is not built from gradients");
    }

    @Override
    public boolean gradientBased() {
      return false;
    }
  };

  private final String key;

  CamMethod(String key) {
    this.key = key;
  }

  /** Whether the map comes from gradients of the class score (all but {@link #ATTENTION}). */
  public boolean gradientBased() {
    return true;
  }

  /** Short name used in signature outputs, CLI options and REST parameters. */
  public String key() {
    return key;
  }

  abstract Operand<TFloat32> contributions(Ops tf, Operand<TFloat32> activations, Operand<TFloat32> gradients);

  public static CamMethod fromKey(String key) {
    for (CamMethod m : values()) {
      if (m.key.equalsIgnoreCase(key) || m.name().equalsIgnoreCase(key)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "CAM method must be one of " + java.util.Arrays.stream(values()).map(CamMethod::key).toList() + ", got '" + key + "'");
  }
}
