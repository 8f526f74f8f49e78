package org.ctnet.graph.preprocess;

/**
 * Pixel data of a DICOM CT slice in Hounsfield units (after rescale slope/intercept).
 *
 * @param rows image height
 * @param columns image width
 * @param frames HU per frame, row-major
 * @param photometric PhotometricInterpretation (MONOCHROME1 is a display convention only: HU are
 *     not inverted)
 * @param modality the Modality tag, or empty
 */
public record DicomImage(int rows, int columns, double[][] frames, String photometric, String modality) {

  public double[] hounsfield() {
    return frames[0];
  }

  /**
   * Maps the first frame through a window (level/width in HU) to grey levels 0..255, the way CT
   * viewers do: HU ≤ level − width/2 → 0, ≥ level + width/2 → 255, linear between.
   */
  public GreyImage windowed(double level, double width) {
    double low = level - width / 2;
    double[] hu = frames[0];
    float[] grey = new float[hu.length];
    for (int i = 0; i < hu.length; i++) {
      double v = (hu[i] - low) / width * 255.0;
      grey[i] = (float) Math.round(Math.max(0, Math.min(255, v)));
    }
    return new GreyImage(columns, rows, grey);
  }
}
