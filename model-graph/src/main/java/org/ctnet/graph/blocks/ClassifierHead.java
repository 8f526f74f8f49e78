package org.ctnet.graph.blocks;

import org.ctnet.graph.layers.Layers;
import org.ctnet.graph.spec.HeadKind;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Global average pool (beside the lesion evidence, when given) → dropout → dense. The sigmoid head's single logit z is returned as the two
 * logits [-z/2, z/2], so softmax of them is [1 - σ(z), σ(z)] and both heads look alike downstream.
 */
public final class ClassifierHead {
  private ClassifierHead() {}

  public static Operand<TFloat32> apply(
      Layers layers, Operand<TFloat32> features, Operand<TFloat32> evidence, HeadKind kind, int classes,
      double dropout) {
    Operand<TFloat32> pooled = layers.globalAveragePool(features);
    if (evidence != null) {
      pooled = layers.tf().concat(java.util.List.of(pooled, evidence), layers.tf().constant(1));
    }
    pooled = layers.dropout(pooled, dropout);
    if (kind == HeadKind.SOFTMAX) {
      return layers.dense(pooled, "dense", classes);
    }
    Operand<TFloat32> z = layers.dense(pooled, "dense", 1);
    Ops tf = layers.tf();
    Operand<TFloat32> half = tf.math.mul(z, tf.constant(0.5f));
    return tf.concat(java.util.List.of(tf.math.neg(half), half), tf.constant(1));
  }

  /** The raw sigmoid logit z from the two-logit form (z = l1 - l0). */
  public static Operand<TFloat32> sigmoidLogit(Ops tf, Operand<TFloat32> logits) {
    Operand<TFloat32> l0 = tf.slice(logits, tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, 1}));
    Operand<TFloat32> l1 = tf.slice(logits, tf.constant(new int[] {0, 1}), tf.constant(new int[] {-1, 1}));
    return tf.reshape(tf.math.sub(l1, l0), tf.constant(new int[] {-1}));
  }
}
