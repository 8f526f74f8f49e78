package org.ctnet.trainer.confounds;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ctnet.trainer.eval.Bootstrap;
import org.ctnet.trainer.eval.Metrics;

/**
 * How well each trivial feature alone tells the positive class in each source (ROC-AUC with a
 * group-bootstrap interval), and the two warnings that follow: a shortcut (one source's feature
 * separates the classes by itself) and a flip (the feature points one way in one source and the
 * other way in another, the two AUCs on opposite sides of 0.5 and the interval of their difference
 * clear of 0: a model that learned it on one source is pushed below chance on the other).
 */
public final class ConfoundReport {
  /** A feature separates the classes when its AUC is at least this far from 0.5 and its interval excludes 0.5. */
  public static final double SHORTCUT_DISTANCE = 0.2;

  /** One feature in one source. */
  public record Row(String source, String feature, int images, int groups, Bootstrap.Estimate auc, boolean shortcut,
      @com.fasterxml.jackson.annotation.JsonIgnore double[] replicates) {}

  /**
   * A feature whose AUC is above 0.5 in one source and below in another, the difference with its
   * interval (the sources resampled independently).
   */
  public record Flip(String feature, String higherIn, String lowerIn, Bootstrap.Estimate difference) {}

  public record Result(List<Row> rows, List<Flip> flips) {}

  private ConfoundReport() {}

  /**
   * @param features per source: the feature values of each image ([image][feature])
   * @param labels per source: 1 for the positive class
   * @param groups per source: the scan/patient of each image
   */
  public static Result of(Map<String, double[][]> features, Map<String, int[]> labels, Map<String, List<String>> groups,
      int replicates, long seed) {
    List<Row> rows = new ArrayList<>();
    for (var source : features.entrySet()) {
      double[][] values = source.getValue();
      int[] y = labels.get(source.getKey());
      Bootstrap bootstrap = new Bootstrap(groups.get(source.getKey()), replicates, seed);
      for (int f = 0; f < ImageFeatures.NAMES.size(); f++) {
        double[] column = new double[values.length];
        for (int i = 0; i < values.length; i++) {
          column[i] = values[i][f];
        }
        double[] resampled = bootstrap.replicates(column, y, Metrics::rocAuc);
        Bootstrap.Estimate auc = Bootstrap.interval(Metrics.rocAuc(column, y), resampled);
        boolean shortcut = Math.abs(auc.value() - 0.5) >= SHORTCUT_DISTANCE && excludesHalf(auc);
        rows.add(new Row(source.getKey(), ImageFeatures.NAMES.get(f), values.length, bootstrap.groups(), auc, shortcut,
            resampled));
      }
    }
    List<Flip> flips = new ArrayList<>();
    for (String feature : ImageFeatures.NAMES) {
      List<Row> of = rows.stream().filter(r -> r.feature().equals(feature)).toList();
      for (Row up : of) {
        for (Row down : of) {
          if (up.auc().value() > 0.5 && down.auc().value() < 0.5) {
            double[] differences = new double[up.replicates().length];
            for (int r = 0; r < differences.length; r++) {
              differences[r] = up.replicates()[r] - down.replicates()[r];
            }
            Bootstrap.Estimate difference = Bootstrap.interval(up.auc().value() - down.auc().value(), differences);
            if (difference.lower() > 0) {
              flips.add(new Flip(feature, up.source(), down.source(), difference));
            }
          }
        }
      }
    }
    return new Result(rows, flips);
  }

  private static boolean excludesHalf(Bootstrap.Estimate e) {
    return e.lower() > 0.5 || e.upper() < 0.5;
  }
}
