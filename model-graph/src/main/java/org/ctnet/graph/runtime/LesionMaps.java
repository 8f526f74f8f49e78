package org.ctnet.graph.runtime;

import java.util.Arrays;
import org.ctnet.graph.lesion.Severity;

/**
 * A batch's lesion-head outputs, row-major per image.
 *
 * @param lesionMaps per image, the lesion probability per pixel (height × width)
 * @param lungMaps per image, the lung-field probability per pixel
 * @param involvement per image, the share of the lung field with lesion probability over 0.5
 * @param severity per image, the category index (see {@link Severity})
 */
public record LesionMaps(float[][] lesionMaps, float[][] lungMaps, float[] involvement, int[] severity, int height,
    int width) {
  public int size() {
    return involvement.length;
  }

  /** Image i's severity category. */
  public Severity severityOf(int i) {
    return Severity.ofIndex(severity[i]);
  }

  /** Rows [from, to) (the map arrays are shared, not copied). */
  public LesionMaps rows(int from, int to) {
    return new LesionMaps(Arrays.copyOfRange(lesionMaps, from, to), Arrays.copyOfRange(lungMaps, from, to),
        Arrays.copyOfRange(involvement, from, to), Arrays.copyOfRange(severity, from, to), height, width);
  }
}
