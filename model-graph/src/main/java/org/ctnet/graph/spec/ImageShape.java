package org.ctnet.graph.spec;

/**
 * The model's input image: height × width × channels, in that order everywhere (NHWC). One value
 * instead of three loose ints, so no caller re-derives the product or swaps height and width.
 */
public record ImageShape(int height, int width, int channels) {
  public ImageShape {
    if (height < 1 || width < 1 || channels < 1) {
      throw new IllegalArgumentException("image shape must be positive, got " + height + "x" + width + "x" + channels);
    }
  }

  /** Floats in one image. */
  public int pixels() {
    return height * width * channels;
  }

  /** Pixels of one channel plane. */
  public int area() {
    return height * width;
  }

  /** The batch tensor's dimensions, {@code [n, height, width, channels]} (-1 for any batch). */
  public long[] batchDimensions(long n) {
    return new long[] {n, height, width, channels};
  }

  @Override
  public String toString() {
    return height + "x" + width + "x" + channels;
  }
}
