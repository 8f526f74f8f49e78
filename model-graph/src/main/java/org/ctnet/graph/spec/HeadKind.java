package org.ctnet.graph.spec;

/** How the classifier turns pooled features into class scores. */
public enum HeadKind {
  /** One logit per class, softmax cross-entropy. */
  SOFTMAX,
  /**
   * The paper's binary cross-entropy head: one logit z for the positive class. Exposed as the
   * two logits [-z/2, z/2], whose softmax is exactly [1 - sigmoid(z), sigmoid(z)], so every
   * consumer sees the same [N, 2] shapes.
   */
  SIGMOID
}
