package org.ctnet.trainer.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.assets.ScanRule;

/**
 * Scan-level figures from slice-level ones: the slices of each group (a scan, or a patient where
 * the data has no scans) become one scan probability by a {@link ScanRule}; a scan is positive when
 * any of its slices is labelled positive. Intervals resample scans.
 */
public final class ScanEvaluation {
  private ScanEvaluation() {}

  /** Scan probabilities, labels and names, in first-seen order. */
  public record Scans(double[] scores, int[] labels, List<String> names) {
    public int count() {
      return scores.length;
    }
  }

  public static Scans scans(double[] sliceScores, int[] sliceLabels, List<String> groups, ScanRule rule) {
    Map<String, List<Integer>> members = new LinkedHashMap<>();
    for (int i = 0; i < sliceScores.length; i++) {
      members.computeIfAbsent(groups.get(i), g -> new ArrayList<>()).add(i);
    }
    double[] scores = new double[members.size()];
    int[] labels = new int[members.size()];
    List<String> names = new ArrayList<>(members.keySet());
    int k = 0;
    for (List<Integer> idx : members.values()) {
      scores[k] = rule.aggregate(idx.stream().mapToDouble(i -> sliceScores[i]).toArray());
      labels[k] = idx.stream().anyMatch(i -> sliceLabels[i] == 1) ? 1 : 0;
      k++;
    }
    return new Scans(scores, labels, names);
  }

  /** The scan-level evaluation under one rule, at {@code threshold} on the scan probability. */
  public static Evaluation evaluate(String dataset, double[] sliceScores, int[] sliceLabels, List<String> groups,
      ScanRule rule, double threshold, int replicates, long seed) {
    Scans s = scans(sliceScores, sliceLabels, groups, rule);
    return Evaluation.of(dataset + " — scans, " + rule.description(), s.scores(), s.labels(), s.names(), threshold,
        replicates, seed);
  }

  /** One console line per rule: scan-level ROC-AUC with its interval, the slice-level one beside. */
  public static List<String> compareRules(String dataset, double[] sliceScores, int[] sliceLabels, List<String> groups,
      int replicates, long seed) {
    List<String> lines = new ArrayList<>();
    Bootstrap.Estimate slice = new Bootstrap(groups, replicates, seed).estimate(sliceScores, sliceLabels, Metrics::rocAuc);
    lines.add(String.format("%s: slice-level ROC-AUC %.4f [%.4f, %.4f] (%d slices, %d groups)", dataset, slice.value(),
        slice.lower(), slice.upper(), sliceScores.length, new java.util.HashSet<>(groups).size()));
    for (ScanRule rule : ScanRule.values()) {
      Scans s = scans(sliceScores, sliceLabels, groups, rule);
      Bootstrap.Estimate auc = new Bootstrap(s.names(), replicates, seed).estimate(s.scores(), s.labels(), Metrics::rocAuc);
      lines.add(String.format("%s: scan-level ROC-AUC %.4f [%.4f, %.4f] by %s (%d scans)%s", dataset, auc.value(),
          auc.lower(), auc.upper(), rule.description(), s.count(), rule == ScanRule.DEFAULT ? " ← default" : ""));
    }
    return lines;
  }
}
