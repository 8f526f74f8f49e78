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
    // NLL(log T) is unimodal for a fixed set of margins: golden-section search on log T.
    double lo = Math.log(MIN_TEMPERATURE);
    double hi = Math.log(MAX_TEMPERATURE);
    double phi = (Math.sqrt(5) - 1) / 2;
    double a = hi - phi * (hi - lo);
    double b = lo + phi * (hi - lo);
    double fa = nll(margins, labels, Math.exp(a));
    double fb = nll(margins, labels, Math.exp(b));
    for (int i = 0; i < 80; i++) {
      if (fa < fb) {
        hi = b;
        b = a;
        fb = fa;
        a = hi - phi * (hi - lo);
        fa = nll(margins, labels, Math.exp(a));
      } else {
        lo = a;
        a = b;
        fa = fb;
        b = lo + phi * (hi - lo);
        fb = nll(margins, labels, Math.exp(b));
      }
    }
    return Math.exp((lo + hi) / 2);
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
