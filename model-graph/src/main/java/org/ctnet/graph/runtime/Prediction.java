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
}
