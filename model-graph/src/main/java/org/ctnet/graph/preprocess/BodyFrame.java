package org.ctnet.graph.preprocess;

/**
 * The body frame of a slice: the box around the body and the grey levels to stretch, found by
 * classic image processing in integer arithmetic so that the {@code serving_bytes} graph
 * ({@link DecodeGraph}) computes exactly the same box and levels as Java.
 *
 * <ul>
 *   <li>Quantise grey levels to integers 0..255 (floor). A pixel is bright when it is above the
 *       image's mean level ({@code level·n > Σ levels}).
 *   <li>Rows (columns) of the box: from the first row where the running count of bright pixels
 *       exceeds {@value #TRIM_PERCENT}% of them to the first row where it reaches
 *       {@value #KEEP_PERCENT}%: a caption, an arrow or a ruler holds far fewer bright pixels than a
 *       body and falls outside; then a margin of {@value #MARGIN_PERCENT}% of the image side.
 *   <li>A box under {@value #MIN_SIDE_PERCENT}% of a side, or an image with no bright pixel, keeps
 *       the whole image.
 *   <li>Levels: the box's {@value #LOW_PERCENTILE}st and {@value #HIGH_PERCENTILE}th percentile
 *       levels (first level whose cumulative count exceeds / reaches the share); equal levels
 *       stretch nothing (0 and 255).
 * </ul>
 *
 * @param x left column of the box
 * @param y top row of the box
 * @param width box width (≥ 1)
 * @param height box height (≥ 1)
 * @param low grey level mapped to 0
 * @param high grey level mapped to 1 (greater than {@code low})
 */
public record BodyFrame(int x, int y, int width, int height, int low, int high) {
  public static final int TRIM_PERCENT = 2;
  public static final int KEEP_PERCENT = 98;
  public static final int MARGIN_PERCENT = 4;
  public static final int MIN_SIDE_PERCENT = 25;
  public static final int LOW_PERCENTILE = 1;
  public static final int HIGH_PERCENTILE = 99;
  static final int LEVELS = 256;

  public BodyFrame {
    if (width < 1 || height < 1 || x < 0 || y < 0 || !(low < high)) {
      throw new IllegalArgumentException("invalid body frame " + x + "," + y + " " + width + "x" + height
          + " levels " + low + ".." + high);
    }
  }

  /** The frame of a decoded image (levels 0..255). */
  public static BodyFrame find(GreyImage image) {
    int w = image.width();
    int h = image.height();
    float[] pixels = image.pixels();
    int[] level = new int[w * h];
    long sum = 0;
    for (int i = 0; i < level.length; i++) {
      level[i] = quantise(pixels[i]);
      sum += level[i];
    }
    long n = level.length;
    long[] rows = new long[h];
    long[] columns = new long[w];
    long bright = 0;
    for (int yy = 0; yy < h; yy++) {
      for (int xx = 0; xx < w; xx++) {
        if (level[yy * w + xx] * n > sum) {
          rows[yy]++;
          columns[xx]++;
          bright++;
        }
      }
    }
    int[] rowSpan = span(rows, bright);
    int[] columnSpan = span(columns, bright);
    int y0 = 0;
    int y1 = h;
    int x0 = 0;
    int x1 = w;
    if (bright > 0 && rowSpan[1] - rowSpan[0] >= h * MIN_SIDE_PERCENT / 100
        && columnSpan[1] - columnSpan[0] >= w * MIN_SIDE_PERCENT / 100) {
      int marginY = h * MARGIN_PERCENT / 100;
      int marginX = w * MARGIN_PERCENT / 100;
      y0 = Math.max(0, rowSpan[0] - marginY);
      y1 = Math.min(h, rowSpan[1] + marginY);
      x0 = Math.max(0, columnSpan[0] - marginX);
      x1 = Math.min(w, columnSpan[1] + marginX);
    }
    long[] histogram = new long[LEVELS];
    for (int yy = y0; yy < y1; yy++) {
      for (int xx = x0; xx < x1; xx++) {
        histogram[level[yy * w + xx]]++;
      }
    }
    long count = (long) (y1 - y0) * (x1 - x0);
    int low = firstAbove(histogram, count, LOW_PERCENTILE, false);
    int high = firstAbove(histogram, count, HIGH_PERCENTILE, true);
    if (high <= low) {
      low = 0;
      high = LEVELS - 1;
    }
    return new BodyFrame(x0, y0, x1 - x0, y1 - y0, low, high);
  }

  /** The whole image, levels unchanged. */
  public static BodyFrame whole(int width, int height) {
    return new BodyFrame(0, 0, width, height, 0, LEVELS - 1);
  }

  /** The box's pixels as an image of its own ({@code image} itself when the box is all of it). */
  public GreyImage crop(GreyImage image) {
    if (x == 0 && y == 0 && width == image.width() && height == image.height()) {
      return image;
    }
    float[] out = new float[width * height];
    for (int yy = 0; yy < height; yy++) {
      System.arraycopy(image.pixels(), (y + yy) * image.width() + x, out, yy * width, width);
    }
    return new GreyImage(width, height, out);
  }

  /** A level (as decoded, 0..255) mapped to [0, 1]: (v − low) / (high − low), clipped. */
  public float stretch(float level) {
    float v = (level - low) / (float) (high - low);
    return Math.max(0f, Math.min(1f, v));
  }

  static int quantise(float v) {
    return (int) Math.max(0, Math.min(LEVELS - 1, Math.floor(v)));
  }

  /** [first index past TRIM_PERCENT of the total, first index reaching KEEP_PERCENT] + 1: a half-open span. */
  private static int[] span(long[] counts, long total) {
    long running = 0;
    int start = 0;
    for (int i = 0; i < counts.length; i++) {
      running += counts[i];
      if (running * 100 <= total * TRIM_PERCENT) {
        start = i + 1;
      }
    }
    running = 0;
    int end = 0;
    for (int i = 0; i < counts.length; i++) {
      running += counts[i];
      if (running * 100 < total * KEEP_PERCENT) {
        end = i + 1;
      }
    }
    return new int[] {start, Math.min(counts.length, end + 1)};
  }

  /** The first level whose cumulative count exceeds (or, {@code reach}, reaches) percent of count. */
  private static int firstAbove(long[] histogram, long count, int percent, boolean reach) {
    long running = 0;
    int below = 0;
    for (int level = 0; level < histogram.length; level++) {
      running += histogram[level];
      boolean passed = reach ? running * 100 >= count * percent : running * 100 > count * percent;
      if (!passed) {
        below = level + 1;
      }
    }
    return Math.min(below, histogram.length - 1);
  }
}
