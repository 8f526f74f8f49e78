package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.ctnet.graph.assets.ModelAssets.Decision;
import org.ctnet.trainer.eval.DecisionRule;
import org.ctnet.trainer.eval.Metrics;
import org.ctnet.trainer.eval.TemperatureScaling;
import org.junit.jupiter.api.Test;

/** Temperature scaling and threshold locking against brute force and known answers. */
class CalibrationTest {
  @Test
  void temperatureRecoversTheOneThatGeneratedTheLabels() {
    // Labels drawn from sigmoid(m / 4): the maximum-likelihood temperature is close to 4.
    Random r = new Random(3);
    int n = 20_000;
    double[] margins = new double[n];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      margins[i] = r.nextGaussian() * 12;
      labels[i] = r.nextDouble() < 1 / (1 + Math.exp(-margins[i] / 4)) ? 1 : 0;
    }
    double t = TemperatureScaling.fit(margins, labels);
    assertEquals(4, t, 0.3);
    // And no temperature on a fine grid does better.
    double best = TemperatureScaling.nll(margins, labels, t);
    for (double g = 0.1; g < 50; g *= 1.05) {
      assertTrue(TemperatureScaling.nll(margins, labels, g) >= best - 1e-9, "T=" + g + " beats the fit " + t);
    }
  }

  @Test
  void aSaturatedButWrongModelGetsALargeTemperature() {
    // Margins of ±30 with a quarter of them on the wrong side: probabilities of 1e-13 are
    // overconfident; the fit flattens them.
    double[] margins = new double[400];
    int[] labels = new int[400];
    for (int i = 0; i < 400; i++) {
      labels[i] = i % 2;
      boolean wrong = i % 4 < 2 && i % 8 < 2;
      margins[i] = (labels[i] == 1 ^ wrong) ? 30 : -30;
    }
    double t = TemperatureScaling.fit(margins, labels);
    assertTrue(t > 10, "temperature " + t);
    assertTrue(TemperatureScaling.nll(margins, labels, t) < TemperatureScaling.nll(margins, labels, 1) / 5);
  }

  @Test
  void oneClassLeavesTheTemperatureAtOne() {
    assertEquals(1.0, TemperatureScaling.fit(new double[] {1, 2, 3}, new int[] {1, 1, 1}));
  }

  @Test
  void aSensibleThresholdIsLockedForTheTargetSensitivity() {
    double[] scores = {0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1, 0.65, 0.05};
    int[] labels = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    Decision d = DecisionRule.lock(scores, labels, 0.8);
    assertEquals(0.6, d.threshold());
    assertTrue(d.chosenFor().startsWith("sensitivity >= 0.80"), d.chosenFor());
  }

  @Test
  void aDegenerateThresholdFallsBackToYoudenAndSaysSo() {
    // Two positives score 0.001 and 0.002: keeping 95% sensitivity would call everything positive.
    double[] scores = new double[40];
    int[] labels = new int[40];
    for (int i = 0; i < 40; i++) {
      labels[i] = i < 20 ? 1 : 0;
      scores[i] = i < 20 ? 0.6 + i * 0.01 : 0.1 + (i - 20) * 0.02;
    }
    scores[0] = 0.001;
    scores[1] = 0.002;
    Decision d = DecisionRule.lock(scores, labels, 0.95);
    assertTrue(d.chosenFor().startsWith("FALLBACK"), d.chosenFor());
    assertTrue(d.threshold() >= DecisionRule.MIN_THRESHOLD);
    Metrics.Confusion c = Metrics.confusion(scores, labels, d.threshold());
    assertEquals(1.0, c.specificity());
    assertEquals(18 / 20.0, c.sensitivity(), 1e-12);
  }

  @Test
  void saturatedScoresFallBackToOneHalf() {
    // Every validation score is 0 or 1: any threshold the data suggests is 1.0, which would decide
    // "negative" for everything a little less certain.
    double[] scores = {1, 1, 1, 1, 0, 0, 0, 1};
    int[] labels = {1, 1, 1, 1, 0, 0, 0, 0};
    Decision d = DecisionRule.lock(scores, labels, 0.95);
    assertEquals(0.5, d.threshold());
    assertTrue(d.chosenFor().startsWith("FALLBACK") && d.chosenFor().contains("locked at 0.5"), d.chosenFor());
  }

  @Test
  void youdenThresholdMatchesBruteForce() {
    Random r = new Random(9);
    double[] scores = new double[200];
    int[] labels = new int[200];
    for (int i = 0; i < 200; i++) {
      labels[i] = r.nextInt(2);
      scores[i] = Math.min(1, Math.max(0, 0.5 + 0.25 * r.nextGaussian() + (labels[i] == 1 ? 0.15 : -0.15)));
    }
    double t = DecisionRule.youdenThreshold(scores, labels);
    Metrics.Confusion at = Metrics.confusion(scores, labels, t);
    double j = at.sensitivity() + at.specificity() - 1;
    for (double s : scores) {
      Metrics.Confusion c = Metrics.confusion(scores, labels, s);
      assertTrue(c.sensitivity() + c.specificity() - 1 <= j + 1e-12);
    }
  }
}
