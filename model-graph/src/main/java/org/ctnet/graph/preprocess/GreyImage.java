package org.ctnet.graph.preprocess;

/**
 * A decoded single-channel image with float grey levels in 0..255, row-major.
 *
 * @param width pixels per row
 * @param height rows
 * @param pixels width × height grey levels
 */
public record GreyImage(int width, int height, float[] pixels) {
  public GreyImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
    }
    if (pixels.length != (long) width * height) {
      throw new IllegalArgumentException(
          "image " + width + "x" + height + " needs " + ((long) width * height) + " pixels, got " + pixels.length);
    }
  }

  public float at(int x, int y) {
    return pixels[y * width + x];
  }
}
