package org.ctnet.graph.runtime;

/**
 * The bags of one step (multiple-instance learning on studies with one label each).
 *
 * @param pooling bags × n pooling weights, row-major: each row sums to 1 over its member images
 *     and is 0 elsewhere
 * @param labels one class index per bag
 * @param sharpness r of the log-sum-exp pooling (small: the weighted mean; large: the maximum)
 */
public record BagFeed(float[] pooling, int[] labels, float sharpness) {
  public int bags() {
    return labels.length;
  }

  /** Refuses a feed the graph cannot take: pooling rows that do not cover n images or do not sum to 1, labels not 0/1. */
  void check(int n) {
    if (pooling.length != (long) bags() * n) {
      throw new IllegalArgumentException(bags() + " bags over " + n + " images need " + ((long) bags() * n)
          + " pooling weights, got " + pooling.length);
    }
    if (!(sharpness > 0) || !Float.isFinite(sharpness)) {
      throw new IllegalArgumentException("bag sharpness must be a positive number, got " + sharpness);
    }
    for (int b = 0; b < bags(); b++) {
      if (labels[b] < 0 || labels[b] > 1) {
        throw new IllegalArgumentException("bag labels must be 0 or 1, got " + labels[b]);
      }
      double sum = 0;
      for (int i = 0; i < n; i++) {
        float w = pooling[b * n + i];
        if (!(w >= 0) || !Float.isFinite(w)) {
          throw new IllegalArgumentException("bag pooling weights must be finite and >= 0, got " + w);
        }
        sum += w;
      }
      if (Math.abs(sum - 1) > 1e-4) {
        throw new IllegalArgumentException("bag " + b + "'s pooling weights must sum to 1, got " + sum);
      }
    }
  }
}
