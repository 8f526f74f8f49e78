package org.ctnet.graph.runtime;

import org.ctnet.graph.lesion.Severity;

/**
 * A batch's predictions with the lesion head's outputs, row-major per image.
 *
 * @param prediction class probabilities and logits
 * @param lesionMaps per image, the lesion probability per pixel (height × width)
 * @param lungMaps per image, the lung-field probability per pixel
 * @param involvement per image, the share of the lung field with lesion probability over 0.5
 * @param severity per image, the category index (see {@link Severity})
 */
public record LesionPrediction(Prediction prediction, float[][] lesionMaps, float[][] lungMaps, float[] involvement,
    int[] severity, int height, int width) {
  public int size() {
    return involvement.length;
  }

  /** Image i's severity category. */
  public Severity severityOf(int i) {
    return Severity.ofIndex(severity[i]);
  }
}
