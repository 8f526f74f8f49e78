package org.ctnet.trainer.eval;

import org.ctnet.graph.assets.ModelAssets.Decision;

/**
 * Locks the decision threshold on validation scores: the highest threshold that keeps the target
 * sensitivity. A threshold that would decide nothing — under {@link #MIN_THRESHOLD} or above
 * 1 − {@link #MIN_THRESHOLD} (saturated scores), or with validation specificity under
 * {@link #MIN_SPECIFICITY} — is not shipped silently: the rule falls back to the threshold that
 * maximises Youden's J (sensitivity + specificity − 1) on the same validation scores, or to 0.5 when
 * that one is saturated too, and says so in the decision's text.
 */
public final class DecisionRule {
  public static final double MIN_THRESHOLD = 0.01;
  public static final double MIN_SPECIFICITY = 0.2;

  private DecisionRule() {}

  public static Decision lock(double[] scores, int[] labels, double targetSensitivity) {
    return lock(scores, labels, targetSensitivity, "images");
  }

  /** As {@link #lock(double[], int[], double)}, naming what was scored ("images", "scans"). */
  public static Decision lock(double[] scores, int[] labels, double targetSensitivity, String unit) {
    String where = String.format("validation, %d %s", scores.length, unit);
    if (scores.length == 0) {
      return Decision.argmax();
    }
    double threshold = Metrics.thresholdForSensitivity(scores, labels, targetSensitivity);
    Metrics.Confusion at = Metrics.confusion(scores, labels, threshold);
    boolean hasNegatives = java.util.Arrays.stream(labels).anyMatch(l -> l == 0);
    if (inRange(threshold) && (!hasNegatives || at.specificity() >= MIN_SPECIFICITY)) {
      return new Decision(threshold, String.format("sensitivity >= %.2f (%s; specificity %.3f)",
          targetSensitivity, where, at.specificity()));
    }
    double youden = youdenThreshold(scores, labels);
    String why = String.format("FALLBACK: sensitivity >= %.2f needed threshold %.4g with specificity %.3f (degenerate: "
        + "threshold outside [%.2f, %.2f] or specificity < %.2f); ", targetSensitivity, threshold, at.specificity(),
        MIN_THRESHOLD, 1 - MIN_THRESHOLD, MIN_SPECIFICITY);
    if (!inRange(youden)) {
      return new Decision(0.5, why + String.format("the maximum of Youden's J (%.4g) is saturated too; locked at 0.5 (%s)",
          youden, where));
    }
    Metrics.Confusion j = Metrics.confusion(scores, labels, youden);
    return new Decision(youden, why + String.format(
        "locked at the maximum of Youden's J instead (%s; sensitivity %.3f, specificity %.3f)", where, j.sensitivity(),
        j.specificity()));
  }

  private static boolean inRange(double threshold) {
    return threshold >= MIN_THRESHOLD && threshold <= 1 - MIN_THRESHOLD;
  }

  /** The score that maximises sensitivity + specificity − 1 (ties: the higher threshold); 0.5 without both classes. */
  public static double youdenThreshold(double[] scores, int[] labels) {
    boolean pos = java.util.Arrays.stream(labels).anyMatch(l -> l == 1);
    boolean neg = java.util.Arrays.stream(labels).anyMatch(l -> l == 0);
    if (!pos || !neg) {
      return 0.5;
    }
    double best = 0.5;
    double bestJ = Double.NEGATIVE_INFINITY;
    double[] candidates = java.util.Arrays.stream(scores).distinct().sorted().toArray();
    for (int i = candidates.length - 1; i >= 0; i--) {
      Metrics.Confusion c = Metrics.confusion(scores, labels, candidates[i]);
      double jValue = c.sensitivity() + c.specificity() - 1;
      if (jValue > bestJ + 1e-12) {
        bestJ = jValue;
        best = candidates[i];
      }
    }
    return best;
  }
}
