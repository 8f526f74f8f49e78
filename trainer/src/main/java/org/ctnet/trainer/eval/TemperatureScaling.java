package org.ctnet.trainer.eval;

/**
 * Temperature scaling (Guo et al. 2017): one scalar T fitted on validation data so that
 * sigmoid(margin / T) minimises the negative log-likelihood. It leaves the ranking (ROC-AUC) as it
 * is and turns a saturated model's 0.9999s back into probabilities.
 */
public final class TemperatureScaling {
  /** Search range of T; beyond it the validation set says nothing a larger range would fix. */
  public static final double MIN_TEMPERATURE = 0.05;
  public static final double MAX_TEMPERATURE = 100;

  private TemperatureScaling() {}

  /**
   * @param margins per image, positive logit minus negative logit (2 classes)
   * @param labels 1 positive, 0 negative
   * @return the NLL-minimising temperature, or 1 when the labels hold one class only
   */
  public static double fit(double[] margins, int[] labels) {
    if (margins.length != labels.length) {
      throw new IllegalArgumentException("need one label per margin: " + margins.length + " vs " + labels.length);
    }
    boolean anyPositive = false;
    boolean anyNegative = false;
    for (int l : labels) {
      anyPositive |= l == 1;
      anyNegative |= l == 0;
    }
    if (!anyPositive || !anyNegative) {
      return 1;
    }
    return minimise(t -> nll(margins, labels, t));
  }

  /**
   * The temperature in [{@link #MIN_TEMPERATURE}, {@link #MAX_TEMPERATURE}] that minimises
   * {@code nll}: a coarse scan on log T, then golden-section search between the best point's
   * neighbours (slice NLL is unimodal in log T; a study NLL through a pooling rule need not be).
   */
  public static double minimise(java.util.function.DoubleUnaryOperator nll) {
    int points = 41;
    double lo = Math.log(MIN_TEMPERATURE);
    double hi = Math.log(MAX_TEMPERATURE);
    double step = (hi - lo) / (points - 1);
    int best = 0;
    double bestValue = Double.POSITIVE_INFINITY;
    for (int i = 0; i < points; i++) {
      double v = nll.applyAsDouble(Math.exp(lo + i * step));
      if (v < bestValue) {
        bestValue = v;
        best = i;
      }
    }
    double left = lo + Math.max(0, best - 1) * step;
    double right = lo + Math.min(points - 1, best + 1) * step;
    double phi = (Math.sqrt(5) - 1) / 2;
    double a = right - phi * (right - left);
    double b = left + phi * (right - left);
    double fa = nll.applyAsDouble(Math.exp(a));
    double fb = nll.applyAsDouble(Math.exp(b));
    for (int i = 0; i < 60; i++) {
      if (fa < fb) {
        right = b;
        b = a;
        fb = fa;
        a = right - phi * (right - left);
        fa = nll.applyAsDouble(Math.exp(a));
      } else {
        left = a;
        a = b;
        fa = fb;
        b = left + phi * (right - left);
        fb = nll.applyAsDouble(Math.exp(b));
      }
    }
    return Math.exp((left + right) / 2);
  }

  /** Mean negative log-likelihood of sigmoid(margin / T). */
  public static double nll(double[] margins, int[] labels, double temperature) {
    double s = 0;
    for (int i = 0; i < margins.length; i++) {
      double z = margins[i] / temperature;
      // -log sigmoid(±z) computed stably.
      double signed = labels[i] == 1 ? z : -z;
      s += Math.max(-signed, 0) + Math.log1p(Math.exp(-Math.abs(signed)));
    }
    return s / margins.length;
  }

  /** sigmoid(margin / T). */
  public static double probability(double margin, double temperature) {
    return 1 / (1 + Math.exp(-margin / temperature));
  }
}
