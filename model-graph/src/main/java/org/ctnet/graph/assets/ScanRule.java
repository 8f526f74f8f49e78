package org.ctnet.graph.assets;

import java.util.Arrays;

/**
 * How slice probabilities become one scan probability. Lesions of COVID-19 pneumonia sit in some
 * slices only, so a rule must let a few confident slices speak without one noisy slice deciding.
 * The README compares them on cross-validated scan-level data; {@link #DEFAULT} is the one chosen.
 */
public enum ScanRule {
  /** Mean of the top 20% slice probabilities (at least one slice). */
  TOP_K_MEAN("mean of the top 20% slices"),
  /** 1 − Π(1 − p): any positive slice makes the scan positive; saturates on long series. */
  NOISY_OR("noisy-OR"),
  MEAN("mean of all slices"),
  MAX("maximum slice");

  public static final ScanRule DEFAULT = TOP_K_MEAN;
  static final double TOP_FRACTION = 0.2;

  private final String description;

  ScanRule(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }

  /** The scan probability of these slice probabilities (at least one). */
  public double aggregate(double[] sliceProbabilities) {
    if (sliceProbabilities.length == 0) {
      throw new IllegalArgumentException("a scan needs at least one scored slice");
    }
    double[] p = sliceProbabilities.clone();
    return switch (this) {
      case TOP_K_MEAN -> {
        Arrays.sort(p);
        int k = topK(p.length);
        double sum = 0;
        for (int i = p.length - k; i < p.length; i++) {
          sum += p[i];
        }
        yield sum / k;
      }
      case NOISY_OR -> {
        double logNone = 0; // in logs: a product of 300 factors underflows
        for (double v : p) {
          logNone += Math.log1p(-Math.min(v, 1 - 1e-12));
        }
        yield -Math.expm1(logNone);
      }
      case MEAN -> Arrays.stream(p).average().orElseThrow();
      case MAX -> Arrays.stream(p).max().orElseThrow();
    };
  }

  /** How many of {@code slices} the top-k rule averages. */
  public static int topK(int slices) {
    return Math.max(1, (int) Math.round(TOP_FRACTION * slices));
  }

  public static ScanRule parse(String name) {
    for (ScanRule r : values()) {
      if (r.name().equalsIgnoreCase(name.replace('-', '_'))) {
        return r;
      }
    }
    throw new IllegalArgumentException("scan rule must be one of top-k-mean, noisy-or, mean, max; got '" + name + "'");
  }
}
