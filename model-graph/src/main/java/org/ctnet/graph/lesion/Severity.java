package org.ctnet.graph.lesion;

/**
 * Severity of lung involvement in the categories of the MosMedData convention: CT-0 no infection,
 * CT-1 under 25% of the lung, CT-2 25–50%, CT-3 50–75%, CT-4 over 75%. The one place the bounds
 * live: the graph's {@code severity} output and every Java reading use them.
 */
public enum Severity {
  CT_0("CT-0", "no infection"),
  CT_1("CT-1", "under 25% of the lung"),
  CT_2("CT-2", "25–50% of the lung"),
  CT_3("CT-3", "50–75% of the lung"),
  CT_4("CT-4", "over 75% of the lung");

  /**
   * Involvement below which a slice or scan counts as CT-0: 1% of the lung field. A lesion map
   * always has a few stray pixels above 0.5; a threshold of zero would call every lung CT-1.
   */
  public static final double NONE_BELOW = 0.01;

  /** Lower bounds of CT-1 … CT-4. */
  private static final double[] LOWER_BOUNDS = {NONE_BELOW, 0.25, 0.50, 0.75};

  private final String code;
  private final String meaning;

  Severity(String code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  /** The lower bounds of CT-1 … CT-4, in order (for the graph). */
  public static float[] lowerBounds() {
    float[] out = new float[LOWER_BOUNDS.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) LOWER_BOUNDS[i];
    }
    return out;
  }

  /** The category of an involvement share in [0, 1]. */
  public static Severity of(double involvement) {
    int category = 0;
    for (double bound : LOWER_BOUNDS) {
      if (involvement >= bound) {
        category++;
      }
    }
    return values()[category];
  }

  /** The category with this index (the graph's {@code severity} output). */
  public static Severity ofIndex(int index) {
    if (index < 0 || index >= values().length) {
      throw new IllegalArgumentException("severity index must be 0.." + (values().length - 1) + ", got " + index);
    }
    return values()[index];
  }

  /** "CT-0" … "CT-4". */
  public String code() {
    return code;
  }

  public String meaning() {
    return meaning;
  }
}
