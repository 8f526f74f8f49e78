package org.ctnet.trainer.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Two scorings of the same slices (two recipes' out-of-fold scores, two models on one test set)
 * compared pairwise: every bootstrap replicate resamples the same groups for both, so the interval of
 * the ROC-AUC difference counts only how the two disagree, not how hard the slices are. Two
 * cross-validations with the same folds and seeds are compared this way far more sharply than by
 * their separate intervals.
 */
public final class PairedComparison {
  /** One slice scored by both: label 1 = positive class. */
  public record Pair(String key, String group, String source, int label, double scoreA, double scoreB) {}

  /** The figures of one subset (all slices, or one source). */
  public record Row(String subset, int images, int groups, Bootstrap.Estimate aucA, Bootstrap.Estimate aucB,
      Bootstrap.Estimate difference, double brierA, double brierB, Verdict verdict) {}

  /** What the interval of B − A says. */
  public enum Verdict {
    B_BETTER("B better (interval above 0)"),
    A_BETTER("A better (interval below 0)"),
    NOT_SHOWN("no difference shown (interval contains 0)"),
    /** A subset of one class (a positives-only source, say): ROC-AUC is undefined there, Brier is not. */
    ONE_CLASS("one class only: no ROC-AUC");

    private final String text;

    Verdict(String text) {
      this.text = text;
    }

    public String text() {
      return text;
    }

    static Verdict of(Bootstrap.Estimate difference) {
      return difference.lower() > 0 ? B_BETTER : difference.upper() < 0 ? A_BETTER : NOT_SHOWN;
    }
  }

  public static final String ALL = "all";

  private PairedComparison() {}

  /**
   * Slice pairs pooled into scan pairs: each group's slices become one scan scored by {@code rule}
   * under A and under B, positive when any of its slices is (as the scan-level figures count it).
   */
  public static List<Pair> byGroup(List<Pair> slices, org.ctnet.graph.assets.ScanRule rule) {
    java.util.Map<String, List<Pair>> groups = new java.util.LinkedHashMap<>();
    for (Pair p : slices) {
      groups.computeIfAbsent(p.group(), g -> new java.util.ArrayList<>()).add(p);
    }
    List<Pair> scans = new java.util.ArrayList<>();
    for (var e : groups.entrySet()) {
      List<Pair> members = e.getValue();
      scans.add(new Pair(e.getKey(), e.getKey(), members.get(0).source(),
          members.stream().anyMatch(p -> p.label() == 1) ? 1 : 0,
          rule.aggregate(members.stream().mapToDouble(Pair::scoreA).toArray()),
          rule.aggregate(members.stream().mapToDouble(Pair::scoreB).toArray())));
    }
    return scans;
  }

  /** All slices, then each source on its own when there are several. */
  public static List<Row> compare(List<Pair> pairs, int replicates, long seed) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("no slice is scored by both");
    }
    List<Row> rows = new ArrayList<>(List.of(row(ALL, pairs, replicates, seed)));
    TreeSet<String> sources = new TreeSet<>(pairs.stream().map(Pair::source).toList());
    if (sources.size() > 1) {
      for (String source : sources) {
        rows.add(row(source, pairs.stream().filter(p -> p.source().equals(source)).toList(), replicates, seed));
      }
    }
    return rows;
  }

  private static Row row(String subset, List<Pair> pairs, int replicates, long seed) {
    int n = pairs.size();
    double[] a = new double[n];
    double[] b = new double[n];
    int[] labels = new int[n];
    List<String> groups = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Pair p = pairs.get(i);
      a[i] = p.scoreA();
      b[i] = p.scoreB();
      labels[i] = p.label();
      groups.add(p.group());
    }
    Bootstrap bootstrap = new Bootstrap(groups, replicates, seed);
    if (java.util.Arrays.stream(labels).distinct().count() < 2) {
      Bootstrap.Estimate none = new Bootstrap.Estimate(Double.NaN, Double.NaN, Double.NaN);
      return new Row(subset, n, bootstrap.groups(), none, none, none, Metrics.brier(a, labels),
          Metrics.brier(b, labels), Verdict.ONE_CLASS);
    }
    // Same seed and groups: replicate r draws the same slices for A and for B.
    double[] resampledA = bootstrap.replicates(a, labels, Metrics::rocAuc);
    double[] resampledB = bootstrap.replicates(b, labels, Metrics::rocAuc);
    double[] differences = new double[replicates];
    for (int r = 0; r < replicates; r++) {
      differences[r] = resampledB[r] - resampledA[r];
    }
    double aucA = Metrics.rocAuc(a, labels);
    double aucB = Metrics.rocAuc(b, labels);
    Bootstrap.Estimate difference = Bootstrap.interval(aucB - aucA, differences);
    return new Row(subset, n, bootstrap.groups(), Bootstrap.interval(aucA, resampledA),
        Bootstrap.interval(aucB, resampledB), difference, Metrics.brier(a, labels), Metrics.brier(b, labels),
        Verdict.of(difference));
  }
}
