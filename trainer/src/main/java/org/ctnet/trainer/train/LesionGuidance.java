package org.ctnet.trainer.train;

/**
 * Lesion guidance of a training run: slices with infection masks are mixed into the epochs, where
 * they carry no classification loss (a positives-only source must not teach "this source is
 * COVID") and only the lesion term, which pulls the positive class's Grad-CAM into the mask
 * (per image a contrast of z-scores, at most 1/sqrt(a(1 − a)) in size for a mask covering a share a
 * of the grid, negative when the evidence lies in the lesion).
 *
 * @param weight the lesion term's weight against the classification loss (0 = off)
 * @param mix share of each epoch's images drawn from the masked slices, in [0, 1)
 * @param pseudoMaskWeight factor on the weight of model-generated ("pseudo") masks, in [0, 1]:
 *     they are noisier than a radiologist's
 * @param negativeWeight with a lesion head: factor on the weight of an empty lesion mask given to
 *     the class sources' non-COVID slices, in [0, 1] (low: they may show other disease)
 */
public record LesionGuidance(double weight, double mix, double pseudoMaskWeight, double negativeWeight) {
  public static final LesionGuidance OFF = new LesionGuidance(0, 0, 1, 0);

  /** Grad-CAM guidance (no empty masks for negatives). */
  public LesionGuidance(double weight, double mix, double pseudoMaskWeight) {
    this(weight, mix, pseudoMaskWeight, 0);
  }

  public LesionGuidance {
    if (!(weight >= 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("lesion weight must be >= 0, got " + weight);
    }
    if (!(mix >= 0 && mix < 1)) {
      throw new IllegalArgumentException("lesion mix must be in [0, 1), got " + mix);
    }
    if (!(negativeWeight >= 0 && negativeWeight <= 1)) {
      throw new IllegalArgumentException("negative-slice lesion weight must be in [0, 1], got " + negativeWeight);
    }
    if (!(pseudoMaskWeight >= 0 && pseudoMaskWeight <= 1)) {
      throw new IllegalArgumentException("pseudo-mask weight must be in [0, 1], got " + pseudoMaskWeight);
    }
  }

  /** True when masked slices take part in training. */
  public boolean on() {
    return weight > 0 && mix > 0;
  }
}
