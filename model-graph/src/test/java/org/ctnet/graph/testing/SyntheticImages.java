package org.ctnet.graph.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * "CT-like" synthetic slices for tests: a dark background with a grey body ellipse and noise; the
 * positive class adds a bright blob at a random place inside the body. Deterministic per seed.
 */
public final class SyntheticImages {
  /** A batch of images in model layout [n, size, size, 1], pixels in [0, 1]. */
  public record Batch(float[] pixels, int[] labels, int[][] blobCentres, int blobRadius, int size) {
    public int count() {
      return labels.length;
    }

    public float[] image(int i) {
      float[] out = new float[size * size];
      System.arraycopy(pixels, i * size * size, out, 0, size * size);
      return out;
    }

    /** True when (x, y) lies inside image i's blob. */
    public boolean insideBlob(int i, int x, int y) {
      int[] c = blobCentres[i];
      if (c == null) {
        return false;
      }
      int dx = x - c[0];
      int dy = y - c[1];
      return dx * dx + dy * dy <= blobRadius * blobRadius;
    }
  }

  private SyntheticImages() {}

  /** n images, alternating negative/positive labels. */
  public static Batch blobs(int n, int size, long seed) {
    Random random = new Random(seed);
    int radius = Math.max(2, size / 8);
    float[] pixels = new float[n * size * size];
    int[] labels = new int[n];
    int[][] centres = new int[n][];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
      int cx = -1;
      int cy = -1;
      if (labels[i] == 1) {
        int margin = radius + size / 8;
        cx = margin + random.nextInt(size - 2 * margin);
        cy = margin + random.nextInt(size - 2 * margin);
        centres[i] = new int[] {cx, cy};
      }
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          double ex = (x - size / 2.0) / (size * 0.45);
          double ey = (y - size / 2.0) / (size * 0.4);
          double v = ex * ex + ey * ey <= 1 ? 0.35 : 0.05;
          v += random.nextGaussian() * 0.03;
          if (labels[i] == 1) {
            int dx = x - cx;
            int dy = y - cy;
            if (dx * dx + dy * dy <= radius * radius) {
              v = 0.9 + random.nextGaussian() * 0.03;
            }
          }
          pixels[i * size * size + y * size + x] = (float) Math.max(0, Math.min(1, v));
        }
      }
    }
    return new Batch(pixels, labels, centres, radius, size);
  }

  /** An 8-bit grey PNG of the given [0, 1] pixels (rounded to grey levels). */
  public static byte[] png(float[] pixels, int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int v = Math.round(pixels[y * width + x] * 255f);
        image.getRaster().setSample(x, y, 0, Math.max(0, Math.min(255, v)));
      }
    }
    return encode(image, "png");
  }

  public static byte[] encode(BufferedImage image, String format) {
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no writer for " + format);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Pixels rounded to 8-bit grey levels and back, as a PNG round trip sees them. */
  public static float[] quantised(float[] pixels) {
    float[] out = new float[pixels.length];
    for (int i = 0; i < pixels.length; i++) {
      out[i] = Math.max(0, Math.min(255, Math.round(pixels[i] * 255f))) / 255f;
    }
    return out;
  }
}
