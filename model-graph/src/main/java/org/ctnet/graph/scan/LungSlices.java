package org.ctnet.graph.scan;

import org.ctnet.dicom.DicomImage;

/**
 * Which slices of a series show lung, from Hounsfield units alone (no model): the share of the
 * body-and-lung pixels (HU above −950, so outside air is left out) that lie in the aerated-lung
 * range −950..−500 HU. Slices of the neck and abdomen have almost none; slices through the lungs
 * have a quarter or more. Bowel gas can pass on a few abdominal slices, which costs little.
 */
public final class LungSlices {
  static final double LUNG_MIN_HU = -950;
  static final double LUNG_MAX_HU = -500;
  /** Share of lung-range pixels above which a slice counts as showing lung. */
  public static final double MIN_LUNG_SHARE = 0.08;

  private LungSlices() {}

  public static double lungShare(DicomImage image, int frame) {
    var counts = image.valueCounts(frame);
    long inside = counts.count(v -> image.hounsfieldOf(v) > LUNG_MIN_HU);
    long lung = counts.count(v -> image.hounsfieldOf(v) > LUNG_MIN_HU && image.hounsfieldOf(v) <= LUNG_MAX_HU);
    return inside == 0 ? 0 : (double) lung / inside;
  }

  public static boolean showsLung(DicomImage image, int frame) {
    return lungShare(image, frame) >= MIN_LUNG_SHARE;
  }

  /**
   * The slices a scan is judged on: those that show lung, or every slice when none does (HU unknown,
   * a series cut above the lungs). {@code lung} null means unknown.
   */
  public static int[] used(boolean[] lung, int slices) {
    if (lung != null) {
      int[] shown = java.util.stream.IntStream.range(0, slices).filter(i -> lung[i]).toArray();
      if (shown.length > 0) {
        return shown;
      }
    }
    return java.util.stream.IntStream.range(0, slices).toArray();
  }
}
