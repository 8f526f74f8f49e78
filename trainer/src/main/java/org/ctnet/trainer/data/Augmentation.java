package org.ctnet.trainer.data;

import java.util.Random;

/**
 * On-the-fly augmentation of model-input images (single channel, [0, 1]): horizontal flip, small
 * rotation, zoom (crop/pad), brightness and contrast. Deterministic for a given seed, so a resumed
 * run sees the same images.
 *
 * @param copies how many times each training image is seen per epoch (the paper's ×4); copy 0 is
 *     the original image
 * @param flip probability of a horizontal flip
 * @param maxRotationDegrees rotation drawn uniformly in ±this
 * @param maxZoom zoom factor drawn in [1 − maxZoom, 1 + maxZoom]
 * @param maxBrightness additive shift in ±this
 * @param maxContrast contrast factor in [1 − maxContrast, 1 + maxContrast] around the mean
 */
public record Augmentation(
    int copies, double flip, double maxRotationDegrees, double maxZoom, double maxBrightness, double maxContrast) {

  public static final Augmentation PAPER = new Augmentation(4, 0.5, 10, 0.1, 0.05, 0.1);
  public static final Augmentation NONE = new Augmentation(1, 0, 0, 0, 0, 0);

  public Augmentation {
    if (copies < 1) {
      throw new IllegalArgumentException("augmentation copies must be >= 1, got " + copies);
    }
    if (flip < 0 || flip > 1) {
      throw new IllegalArgumentException("flip probability must be in [0, 1], got " + flip);
    }
    if (maxRotationDegrees < 0 || maxZoom < 0 || maxZoom >= 1 || maxBrightness < 0 || maxContrast < 0 || maxContrast >= 1) {
      throw new IllegalArgumentException("augmentation ranges must be non-negative (zoom and contrast < 1)");
    }
  }

  /** Augments one image of {@code height × width} into {@code out}. */
  public void apply(float[] in, float[] out, int height, int width, long seed) {
    Random r = new Random(seed);
    boolean mirror = r.nextDouble() < flip;
    double angle = Math.toRadians((r.nextDouble() * 2 - 1) * maxRotationDegrees);
    double zoom = 1 + (r.nextDouble() * 2 - 1) * maxZoom;
    double brightness = (r.nextDouble() * 2 - 1) * maxBrightness;
    double contrast = 1 + (r.nextDouble() * 2 - 1) * maxContrast;
    double cos = Math.cos(angle) / zoom;
    double sin = Math.sin(angle) / zoom;
    double cx = (width - 1) / 2.0;
    double cy = (height - 1) / 2.0;
    double mean = 0;
    for (float v : in) {
      mean += v;
    }
    mean /= in.length;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        double dx = (mirror ? (width - 1 - x) : x) - cx;
        double dy = y - cy;
        // Inverse mapping: where in the source does this output pixel come from.
        double sx = cos * dx + sin * dy + cx;
        double sy = -sin * dx + cos * dy + cy;
        double v = sample(in, height, width, sx, sy);
        v = (v - mean) * contrast + mean + brightness;
        out[y * width + x] = (float) Math.max(0, Math.min(1, v));
      }
    }
  }

  /** Bilinear sample with edge clamping. */
  private static double sample(float[] in, int height, int width, double x, double y) {
    x = Math.max(0, Math.min(width - 1, x));
    y = Math.max(0, Math.min(height - 1, y));
    int x0 = (int) Math.floor(x);
    int y0 = (int) Math.floor(y);
    int x1 = Math.min(x0 + 1, width - 1);
    int y1 = Math.min(y0 + 1, height - 1);
    double fx = x - x0;
    double fy = y - y0;
    double top = in[y0 * width + x0] * (1 - fx) + in[y0 * width + x1] * fx;
    double bottom = in[y1 * width + x0] * (1 - fx) + in[y1 * width + x1] * fx;
    return top * (1 - fy) + bottom * fy;
  }
}
