package org.ctnet.trainer.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Binary classification metrics on positive-class scores. Label 1 is positive. Pure functions;
 * every one is checked against hand-computed cases in the tests.
 */
public final class Metrics {
  private Metrics() {}

  /** Counts at a threshold: predicted positive when score ≥ threshold. */
  public record Confusion(int tp, int fp, int tn, int fn) {
    public int total() {
      return tp + fp + tn + fn;
    }

    public double accuracy() {
      return ratio(tp + tn, total());
    }

    public double sensitivity() {
      return ratio(tp, tp + fn);
    }

    public double specificity() {
      return ratio(tn, tn + fp);
    }

    public double precision() {
      return ratio(tp, tp + fp);
    }

    public double f1() {
      return ratio(2.0 * tp, 2.0 * tp + fp + fn);
    }

    private static double ratio(double a, double b) {
      return b == 0 ? Double.NaN : a / b;
    }
  }

  public static Confusion confusion(double[] scores, int[] labels, double threshold) {
    check(scores, labels);
    int tp = 0;
    int fp = 0;
    int tn = 0;
    int fn = 0;
    for (int i = 0; i < scores.length; i++) {
      boolean predicted = scores[i] >= threshold;
      if (labels[i] == 1) {
        if (predicted) {
          tp++;
        } else {
          fn++;
        }
      } else if (predicted) {
        fp++;
      } else {
        tn++;
      }
    }
    return new Confusion(tp, fp, tn, fn);
  }

  /** ROC AUC as the Mann–Whitney probability P(score+ > score−) + ½ P(tie). NaN with one class. */
  public static double rocAuc(double[] scores, int[] labels) {
    check(scores, labels);
    Integer[] order = sortedIndices(scores);
    double[] ranks = new double[scores.length];
    int i = 0;
    while (i < order.length) {
      int j = i;
      while (j + 1 < order.length && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double midrank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        ranks[order[k]] = midrank;
      }
      i = j + 1;
    }
    long positives = Arrays.stream(labels).filter(l -> l == 1).count();
    long negatives = labels.length - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    double rankSum = 0;
    for (int k = 0; k < labels.length; k++) {
      if (labels[k] == 1) {
        rankSum += ranks[k];
      }
    }
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  /** A point of a curve. */
  public record Point(double x, double y, double threshold) {}

  /** Counts of positives and negatives scoring at or above each distinct threshold, highest first. */
  private record Cut(int tp, int fp, double threshold) {}

  private static List<Cut> cuts(double[] scores, int[] labels) {
    check(scores, labels);
    Integer[] order = sortedIndices(scores);
    List<Cut> cuts = new ArrayList<>();
    int tp = 0;
    int fp = 0;
    for (int k = order.length - 1; k >= 0; k--) {
      if (labels[order[k]] == 1) {
        tp++;
      } else {
        fp++;
      }
      if (k == 0 || scores[order[k - 1]] != scores[order[k]]) {
        cuts.add(new Cut(tp, fp, scores[order[k]]));
      }
    }
    return cuts;
  }

  /** ROC curve (x = false-positive rate, y = true-positive rate), from (0,0) to (1,1). */
  public static List<Point> rocCurve(double[] scores, int[] labels) {
    long positives = Arrays.stream(labels).filter(l -> l == 1).count();
    long negatives = labels.length - positives;
    List<Point> points = new ArrayList<>();
    points.add(new Point(0, 0, Double.POSITIVE_INFINITY));
    for (Cut c : cuts(scores, labels)) {
      points.add(new Point(negatives == 0 ? 0 : (double) c.fp() / negatives, positives == 0 ? 0 : (double) c.tp() / positives,
          c.threshold()));
    }
    return points;
  }

  /** Precision–recall curve (x = recall, y = precision), one point per distinct threshold. */
  public static List<Point> prCurve(double[] scores, int[] labels) {
    long positives = Arrays.stream(labels).filter(l -> l == 1).count();
    List<Point> points = new ArrayList<>();
    for (Cut c : cuts(scores, labels)) {
      points.add(new Point(positives == 0 ? 0 : (double) c.tp() / positives, (double) c.tp() / (c.tp() + c.fp()), c.threshold()));
    }
    return points;
  }

  /** Average precision: Σ (R_k − R_{k−1}) · P_k over distinct thresholds (the step-wise PR-AUC). */
  public static double averagePrecision(double[] scores, int[] labels) {
    if (Arrays.stream(labels).noneMatch(l -> l == 1)) {
      return Double.NaN;
    }
    double ap = 0;
    double previousRecall = 0;
    for (Point p : prCurve(scores, labels)) {
      ap += (p.x() - previousRecall) * p.y();
      previousRecall = p.x();
    }
    return ap;
  }

  /**
   * The highest threshold whose sensitivity is at least {@code target} (so specificity is as high
   * as that sensitivity allows). With no positives, 0.5.
   */
  public static double thresholdForSensitivity(double[] scores, int[] labels, double target) {
    check(scores, labels);
    double[] positives = java.util.stream.IntStream.range(0, scores.length).filter(i -> labels[i] == 1)
        .mapToDouble(i -> scores[i]).sorted().toArray();
    if (positives.length == 0) {
      return 0.5;
    }
    // Keep at least ceil(target · P) positives at or above the threshold.
    int keep = (int) Math.ceil(target * positives.length - 1e-9);
    keep = Math.max(1, Math.min(positives.length, keep));
    return positives[positives.length - keep];
  }

  /** Mean squared error of the probabilities. */
  public static double brier(double[] scores, int[] labels) {
    check(scores, labels);
    double s = 0;
    for (int i = 0; i < scores.length; i++) {
      double d = scores[i] - labels[i];
      s += d * d;
    }
    return s / scores.length;
  }

  /** One reliability bin: mean predicted probability, observed positive rate, count. */
  public record Bin(double lower, double upper, double meanPredicted, double observed, int count) {}

  /** Equal-width reliability bins over [0, 1]; the last bin includes 1. */
  public static List<Bin> reliability(double[] scores, int[] labels, int bins) {
    check(scores, labels);
    double[] sumP = new double[bins];
    double[] sumY = new double[bins];
    int[] count = new int[bins];
    for (int i = 0; i < scores.length; i++) {
      int b = Math.min(bins - 1, (int) Math.floor(scores[i] * bins));
      b = Math.max(0, b);
      sumP[b] += scores[i];
      sumY[b] += labels[i];
      count[b]++;
    }
    List<Bin> out = new ArrayList<>();
    for (int b = 0; b < bins; b++) {
      out.add(new Bin((double) b / bins, (double) (b + 1) / bins,
          count[b] == 0 ? Double.NaN : sumP[b] / count[b], count[b] == 0 ? Double.NaN : sumY[b] / count[b], count[b]));
    }
    return out;
  }

  /** Expected calibration error over the bins (count-weighted |observed − predicted|). */
  public static double expectedCalibrationError(List<Bin> bins) {
    int total = bins.stream().mapToInt(Bin::count).sum();
    double ece = 0;
    for (Bin b : bins) {
      if (b.count() > 0) {
        ece += (double) b.count() / total * Math.abs(b.observed() - b.meanPredicted());
      }
    }
    return ece;
  }

  private static Integer[] sortedIndices(double[] scores) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    return order;
  }

  private static void check(double[] scores, int[] labels) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException("scores and labels differ in length: " + scores.length + " vs " + labels.length);
    }
    for (int l : labels) {
      if (l != 0 && l != 1) {
        throw new IllegalArgumentException("labels must be 0 or 1, got " + l);
      }
    }
  }
}
