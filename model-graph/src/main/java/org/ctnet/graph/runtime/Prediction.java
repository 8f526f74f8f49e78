package org.ctnet.graph.runtime;

/**
 * Scores for a batch: row-major [n][classes].
 *
 * @param probabilities softmax probabilities
 * @param logits raw class logits
 * @param lesion the lesion head's outputs (null when the model has none)
 */
public record Prediction(float[][] probabilities, float[][] logits, LesionMaps lesion) {
  /** Scores of a model without a lesion head. */
  public Prediction(float[][] probabilities, float[][] logits) {
    this(probabilities, logits, null);
  }

  public int size() {
    return probabilities.length;
  }

  /** Rows [from, to) of this batch (the row arrays are shared, not copied). */
  public Prediction rows(int from, int to) {
    return new Prediction(java.util.Arrays.copyOfRange(probabilities, from, to),
        java.util.Arrays.copyOfRange(logits, from, to), lesion == null ? null : lesion.rows(from, to));
  }
}
