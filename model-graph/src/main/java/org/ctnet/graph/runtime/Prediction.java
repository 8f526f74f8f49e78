package org.ctnet.graph.runtime;

/**
 * Scores for a batch: row-major [n][classes].
 *
 * @param probabilities softmax probabilities
 * @param logits raw class logits
 */
public record Prediction(float[][] probabilities, float[][] logits) {
  public int size() {
    return probabilities.length;
  }

  /** Rows [from, to) of this batch (the row arrays are shared, not copied). */
  public Prediction rows(int from, int to) {
    return new Prediction(java.util.Arrays.copyOfRange(probabilities, from, to), java.util.Arrays.copyOfRange(logits, from, to));
  }
}
