package org.ctnet.trainer.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleBiFunction;

/**
 * Percentile bootstrap confidence intervals that resample whole groups (scans/patients) with
 * replacement, so correlated slices of one scan do not narrow the interval.
 */
public final class Bootstrap {
  /** The seed every report's bootstrap uses, so two reports of the same scores give the same intervals. */
  public static final long SEED = 7;

  /** A point estimate with its interval. */
  public record Estimate(double value, double lower, double upper) {}

  private final int[][] groupMembers;
  private final int replicates;
  private final long seed;

  /**
   * @param groups the group of each sample (same length as the scores to come)
   */
  public Bootstrap(List<String> groups, int replicates, long seed) {
    Map<String, List<Integer>> byGroup = new LinkedHashMap<>();
    for (int i = 0; i < groups.size(); i++) {
      byGroup.computeIfAbsent(groups.get(i), g -> new ArrayList<>()).add(i);
    }
    this.groupMembers = byGroup.values().stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray())
        .toArray(int[][]::new);
    this.replicates = replicates;
    this.seed = seed;
  }

  public int groups() {
    return groupMembers.length;
  }

  /** 95% interval of {@code metric(scores, labels)}; NaN replicates (e.g. one class) are dropped. */
  public Estimate estimate(double[] scores, int[] labels, ToDoubleBiFunction<double[], int[]> metric) {
    return interval(metric.applyAsDouble(scores, labels), replicates(scores, labels, metric));
  }

  /** The metric on each bootstrap replicate, in replicate order (NaN where it is undefined). */
  public double[] replicates(double[] scores, int[] labels, ToDoubleBiFunction<double[], int[]> metric) {
    Random random = new Random(seed);
    double[] values = new double[replicates];
    for (int r = 0; r < replicates; r++) {
      List<Integer> indices = new ArrayList<>();
      for (int g = 0; g < groupMembers.length; g++) {
        for (int i : groupMembers[random.nextInt(groupMembers.length)]) {
          indices.add(i);
        }
      }
      double[] s = new double[indices.size()];
      int[] l = new int[indices.size()];
      for (int k = 0; k < s.length; k++) {
        s[k] = scores[indices.get(k)];
        l[k] = labels[indices.get(k)];
      }
      values[r] = metric.applyAsDouble(s, l);
    }
    return values;
  }

  /** {@code value} with the 2.5th and 97.5th percentiles of the non-NaN {@code replicates}. */
  public static Estimate interval(double value, double[] replicates) {
    double[] kept = Arrays.stream(replicates).filter(v -> !Double.isNaN(v)).sorted().toArray();
    if (kept.length == 0) {
      return new Estimate(value, Double.NaN, Double.NaN);
    }
    return new Estimate(value, percentile(kept, 0.025), percentile(kept, 0.975));
  }

  static double percentile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }
}
