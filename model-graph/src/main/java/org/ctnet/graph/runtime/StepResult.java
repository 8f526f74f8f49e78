package org.ctnet.graph.runtime;

/**
 * Result of one optimisation step: the loss before the update, the training-mode logits and the
 * batch's lesion term (NaN when the graph has none).
 */
public record StepResult(float loss, float[][] logits, float lesionLoss, float bagLoss) {
  public StepResult(float loss, float[][] logits) {
    this(loss, logits, Float.NaN, Float.NaN);
  }
}
