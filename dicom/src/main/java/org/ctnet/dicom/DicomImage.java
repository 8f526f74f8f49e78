package org.ctnet.dicom;

/**
 * A DICOM CT image: its stored pixel values per frame and what turns them into Hounsfield units.
 *
 * @param rows image height
 * @param columns image width
 * @param stored stored pixel values per frame, row-major, masked to BitsStored and sign-extended
 * @param slope RescaleSlope
 * @param intercept RescaleIntercept
 * @param photometric PhotometricInterpretation (MONOCHROME1 is a display convention only: HU are
 *     not inverted)
 * @param modality the Modality tag, or empty
 * @param attributes identity and geometry of the image within its study and series
 */
public record DicomImage(int rows, int columns, int[][] stored, double slope, double intercept,
    String photometric, String modality, DicomAttributes attributes) {

  public int frameCount() {
    return stored.length;
  }

  /** Hounsfield units of the first frame. */
  public double[] hounsfield() {
    return hounsfield(0);
  }

  public double[] hounsfield(int frame) {
    int[] values = stored[frame];
    double[] hu = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      hu[i] = values[i] * slope + intercept;
    }
    return hu;
  }

  /**
   * Maps a frame through a window (level/width in HU) to grey levels 0..255, row-major, the way CT
   * viewers do: HU ≤ level − width/2 → 0, ≥ level + width/2 → 255, linear between.
   */
  public float[] windowed(int frame, double level, double width) {
    double low = level - width / 2;
    int[] values = stored[frame];
    float[] grey = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      double v = (values[i] * slope + intercept - low) / width * 255.0;
      grey[i] = (float) Math.round(Math.max(0, Math.min(255, v)));
    }
    return grey;
  }
}
