package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.ctnet.trainer.eval.Bootstrap;
import org.ctnet.trainer.eval.Metrics;
import org.junit.jupiter.api.Test;

/** Every metric against values worked out by hand. */
class MetricsTest {
  @Test
  void rocAucCountsPairsAndHalvesTies() {
    // positives 0.9, 0.4; negatives 0.6, 0.4, 0.1. Pairs (pos > neg): 0.9 beats all 3; 0.4 beats
    // 0.1, ties 0.4, loses to 0.6 → (3 + 1 + 0.5) / 6 = 0.75.
    double[] s = {0.9, 0.4, 0.6, 0.4, 0.1};
    int[] y = {1, 1, 0, 0, 0};
    assertEquals(0.75, Metrics.rocAuc(s, y), 1e-12);
    assertEquals(1.0, Metrics.rocAuc(new double[] {0.2, 0.8}, new int[] {0, 1}), 1e-12);
    assertEquals(0.0, Metrics.rocAuc(new double[] {0.2, 0.8}, new int[] {1, 0}), 1e-12);
    assertTrue(Double.isNaN(Metrics.rocAuc(new double[] {0.2, 0.8}, new int[] {1, 1})));
  }

  @Test
  void rocAucEqualsTheAreaUnderTheCurve() {
    double[] s = {0.9, 0.4, 0.6, 0.4, 0.1, 0.75, 0.3};
    int[] y = {1, 1, 0, 0, 0, 1, 0};
    List<Metrics.Point> roc = Metrics.rocCurve(s, y);
    double area = 0;
    for (int i = 1; i < roc.size(); i++) {
      area += (roc.get(i).x() - roc.get(i - 1).x()) * (roc.get(i).y() + roc.get(i - 1).y()) / 2;
    }
    assertEquals(Metrics.rocAuc(s, y), area, 1e-12);
    assertEquals(1.0, roc.get(roc.size() - 1).x());
    assertEquals(1.0, roc.get(roc.size() - 1).y());
  }

  @Test
  void averagePrecisionByHand() {
    // Sorted: 0.9(+) 0.8(−) 0.7(+) 0.1(−). Recall steps 0.5 at P=1, 0.5 at P=2/3 → 0.5 + 1/3.
    double[] s = {0.9, 0.8, 0.7, 0.1};
    int[] y = {1, 0, 1, 0};
    assertEquals(0.5 + 1.0 / 3, Metrics.averagePrecision(s, y), 1e-12);
  }

  @Test
  void confusionAndDerivedRates() {
    double[] s = {0.9, 0.6, 0.4, 0.3, 0.2};
    int[] y = {1, 0, 1, 0, 0};
    Metrics.Confusion c = Metrics.confusion(s, y, 0.5);
    assertEquals(new Metrics.Confusion(1, 1, 2, 1), c);
    assertEquals(0.6, c.accuracy(), 1e-12);
    assertEquals(0.5, c.sensitivity(), 1e-12);
    assertEquals(2.0 / 3, c.specificity(), 1e-12);
    assertEquals(0.5, c.precision(), 1e-12);
    assertEquals(0.5, c.f1(), 1e-12);
    assertEquals(1, Metrics.confusion(s, y, 0.9).tp(), "score equal to the threshold is positive");
  }

  @Test
  void thresholdForSensitivityKeepsEnoughPositives() {
    double[] s = {0.95, 0.9, 0.8, 0.7, 0.2, 0.6, 0.5, 0.1};
    int[] y = {1, 1, 1, 1, 1, 0, 0, 0};
    // 5 positives; 0.8·5 = 4 must stay above → 4th highest positive score = 0.7.
    assertEquals(0.7, Metrics.thresholdForSensitivity(s, y, 0.8));
    assertEquals(0.2, Metrics.thresholdForSensitivity(s, y, 0.95));
    assertTrue(Metrics.confusion(s, y, Metrics.thresholdForSensitivity(s, y, 0.8)).sensitivity() >= 0.8);
  }

  @Test
  void brierAndReliability() {
    double[] s = {0.1, 0.15, 0.8, 0.9};
    int[] y = {0, 1, 1, 1};
    assertEquals((0.01 + 0.7225 + 0.04 + 0.01) / 4, Metrics.brier(s, y), 1e-12);
    List<Metrics.Bin> bins = Metrics.reliability(s, y, 2);
    assertEquals(2, bins.get(0).count());
    assertEquals(0.125, bins.get(0).meanPredicted(), 1e-12);
    assertEquals(0.5, bins.get(0).observed(), 1e-12);
    assertEquals(0.85, bins.get(1).meanPredicted(), 1e-12);
    assertEquals(1.0, bins.get(1).observed(), 1e-12);
    assertEquals(0.5 * 0.375 + 0.5 * 0.15, Metrics.expectedCalibrationError(bins), 1e-12);
  }

  @Test
  void bootstrapResamplesGroupsAndIsReproducible() {
    double[] s = {0.9, 0.8, 0.3, 0.2, 0.7, 0.1};
    int[] y = {1, 1, 0, 0, 1, 0};
    List<String> groups = List.of("a", "a", "b", "b", "c", "d");
    Bootstrap b = new Bootstrap(groups, 500, 3);
    assertEquals(4, b.groups());
    Bootstrap.Estimate e1 = b.estimate(s, y, Metrics::rocAuc);
    Bootstrap.Estimate e2 = new Bootstrap(groups, 500, 3).estimate(s, y, Metrics::rocAuc);
    assertEquals(e1, e2);
    assertEquals(1.0, e1.value());
    assertTrue(e1.lower() <= e1.value() && e1.value() <= e1.upper());
    // A metric constant over resamples has a zero-width interval.
    Bootstrap.Estimate constant = b.estimate(s, y, (x, l) -> 0.5);
    assertEquals(0.5, constant.lower());
    assertEquals(0.5, constant.upper());
  }
}
