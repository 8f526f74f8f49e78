package org.ctnet.trainer.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's metrics, done properly: point estimates with 95% group-bootstrap intervals at the
 * locked threshold (and accuracy, sensitivity, specificity at 0.5 for comparison with the paper),
 * the ROC and PR areas, calibration and the curves behind the plots.
 *
 * @param dataset name of the evaluated set
 * @param count images
 * @param groups independent groups (scans/patients) the intervals resample
 * @param threshold the decision threshold on P(positive)
 * @param metrics name → estimate
 * @param confusion counts at the threshold
 * @param brier Brier score
 * @param expectedCalibrationError ECE over 10 bins
 * @param reliability the bins
 * @param roc ROC curve
 * @param pr precision-recall curve
 */
public record Evaluation(
    String dataset,
    int count,
    int groups,
    double threshold,
    Map<String, Bootstrap.Estimate> metrics,
    Metrics.Confusion confusion,
    double brier,
    double expectedCalibrationError,
    List<Metrics.Bin> reliability,
    List<Metrics.Point> roc,
    List<Metrics.Point> pr) {

  public static Evaluation of(String dataset, double[] scores, int[] labels, List<String> groups, double threshold,
      int replicates, long seed) {
    Bootstrap bootstrap = new Bootstrap(groups, replicates, seed);
    Map<String, Bootstrap.Estimate> m = new LinkedHashMap<>();
    m.put("accuracy", bootstrap.estimate(scores, labels, (s, l) -> Metrics.confusion(s, l, threshold).accuracy()));
    m.put("sensitivity", bootstrap.estimate(scores, labels, (s, l) -> Metrics.confusion(s, l, threshold).sensitivity()));
    m.put("specificity", bootstrap.estimate(scores, labels, (s, l) -> Metrics.confusion(s, l, threshold).specificity()));
    m.put("precision", bootstrap.estimate(scores, labels, (s, l) -> Metrics.confusion(s, l, threshold).precision()));
    m.put("f1", bootstrap.estimate(scores, labels, (s, l) -> Metrics.confusion(s, l, threshold).f1()));
    // The same at the plain argmax threshold 0.5, the way the paper reports accuracy.
    m.put("accuracy_at_0.5", bootstrap.estimate(scores, labels, (s, l) -> Metrics.confusion(s, l, 0.5).accuracy()));
    m.put("sensitivity_at_0.5", bootstrap.estimate(scores, labels, (s, l) -> Metrics.confusion(s, l, 0.5).sensitivity()));
    m.put("specificity_at_0.5", bootstrap.estimate(scores, labels, (s, l) -> Metrics.confusion(s, l, 0.5).specificity()));
    m.put("roc_auc", bootstrap.estimate(scores, labels, Metrics::rocAuc));
    m.put("pr_auc", bootstrap.estimate(scores, labels, Metrics::averagePrecision));
    m.put("brier", bootstrap.estimate(scores, labels, Metrics::brier));
    List<Metrics.Bin> bins = Metrics.reliability(scores, labels, 10);
    return new Evaluation(dataset, scores.length, bootstrap.groups(), threshold, m,
        Metrics.confusion(scores, labels, threshold), Metrics.brier(scores, labels),
        Metrics.expectedCalibrationError(bins), bins, Metrics.rocCurve(scores, labels), Metrics.prCurve(scores, labels));
  }

  public double value(String metric) {
    return metrics.get(metric).value();
  }

  /** One line, e.g. for the console. */
  public String summary() {
    // Scan- and study-level evaluations are named so ("… — scans, …", "… — studies, …").
    String unit = dataset.contains("studies") ? "studies" : dataset.contains("scans") ? "scans" : "images";
    StringBuilder sb = new StringBuilder(dataset + " (" + count + " " + unit + ", " + groups + " groups, threshold "
        + String.format("%.4f", threshold) + "):");
    metrics.forEach((k, v) -> sb.append(String.format(" %s %.4f [%.4f, %.4f]", k, v.value(), v.lower(), v.upper())));
    return sb.toString();
  }
}
