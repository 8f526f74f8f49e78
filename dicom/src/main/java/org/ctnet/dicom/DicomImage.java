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
public final class DicomImage {
  private final int rows;
  private final int columns;
  private final int[][] stored;
  private final double slope;
  private final double intercept;
  private final String photometric;
  private final String modality;
  private final DicomAttributes attributes;
  /** Each frame's value counts, computed once: windowing, the lung share and the input check all read them. */
  private final ValueCounts[] counts;

  public DicomImage(int rows, int columns, int[][] stored, double slope, double intercept, String photometric,
      String modality, DicomAttributes attributes) {
    this.rows = rows;
    this.columns = columns;
    this.stored = stored;
    this.slope = slope;
    this.intercept = intercept;
    this.photometric = photometric;
    this.modality = modality;
    this.attributes = attributes;
    this.counts = new ValueCounts[stored.length];
  }

  public int rows() {
    return rows;
  }

  public int columns() {
    return columns;
  }

  public int[][] stored() {
    return stored;
  }

  public double slope() {
    return slope;
  }

  public double intercept() {
    return intercept;
  }

  public String photometric() {
    return photometric;
  }

  public String modality() {
    return modality;
  }

  public DicomAttributes attributes() {
    return attributes;
  }

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
    ValueCounts range = valueCounts(frame);
    // Each distinct stored value is mapped once (a CT slice has a few thousand), then looked up.
    float[] table = new float[range.counts().length];
    for (int k = 0; k < table.length; k++) {
      double v = ((range.min() + k) * slope + intercept - low) / width * 255.0;
      table[k] = (float) Math.round(Math.max(0, Math.min(255, v)));
    }
    for (int i = 0; i < values.length; i++) {
      grey[i] = table[values[i] - range.min()];
    }
    return grey;
  }

  /**
   * How many pixels of a frame hold each stored value: {@code counts[v - min]}. Stored values are at
   * most 16 bits, so the table is at most 65,536 entries; questions about Hounsfield units are then
   * asked once per distinct value, not once per pixel.
   */
  public record ValueCounts(int min, int[] counts) {
    /** Pixels whose stored value passes {@code test}. */
    public long count(java.util.function.IntPredicate test) {
      long n = 0;
      for (int k = 0; k < counts.length; k++) {
        if (counts[k] > 0 && test.test(min + k)) {
          n += counts[k];
        }
      }
      return n;
    }

    public long total() {
      long n = 0;
      for (int c : counts) {
        n += c;
      }
      return n;
    }
  }

  public ValueCounts valueCounts(int frame) {
    ValueCounts known = counts[frame];
    if (known == null) {
      known = countValues(stored[frame]);
      counts[frame] = known; // a race computes the same counts twice, never different ones
    }
    return known;
  }

  private static ValueCounts countValues(int[] values) {
    int min = Integer.MAX_VALUE;
    int max = Integer.MIN_VALUE;
    for (int v : values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (values.length == 0) {
      return new ValueCounts(0, new int[0]);
    }
    int[] counts = new int[max - min + 1];
    for (int v : values) {
      counts[v - min]++;
    }
    return new ValueCounts(min, counts);
  }

  /** The Hounsfield unit of a stored value. */
  public double hounsfieldOf(int storedValue) {
    return storedValue * slope + intercept;
  }
}
