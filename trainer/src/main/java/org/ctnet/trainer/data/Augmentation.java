package org.ctnet.trainer.data;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * On-the-fly augmentation of model-input images (single channel, [0, 1]). Deterministic for a
 * given seed, so a resumed run sees the same images.
 *
 * <p>The paper's geometric and photometric jitter (flip, rotation, zoom, brightness, contrast),
 * plus transforms aimed at the differences between hospitals and publications: random resized
 * crops (framing, aspect), gamma (windowing), blur or sharpening (reconstruction kernels), noise
 * (dose), JPEG re-compression and resolution loss (figures copied from papers), and burnt-in
 * overlays (text, arrows, rulers).
 *
 * @param copies how many times each training image is seen per epoch (the paper's ×4); copy 0 is
 *     the original image
 * @param flip probability of a horizontal flip
 * @param maxRotationDegrees rotation drawn uniformly in ±this
 * @param maxZoom zoom factor drawn in [1 − maxZoom, 1 + maxZoom]
 * @param maxBrightness additive shift in ±this
 * @param maxContrast contrast factor in [1 − maxContrast, 1 + maxContrast] around the mean
 * @param minCropArea random resized crop: the crop covers a share of the image drawn in
 *     [minCropArea, 1] with aspect ratio in [3/4, 4/3], placed at random (1 = off)
 * @param maxLogGamma gamma = exp(u), u uniform in ±this (0 = off)
 * @param blurSharpen probability of a Gaussian blur or an unsharp mask (half each)
 * @param maxNoise standard deviation of Gaussian noise drawn in [0, maxNoise]
 * @param jpeg probability of a JPEG re-compression at quality 20–70
 * @param lowResolution probability of down- and up-sampling by a factor 2–4
 * @param overlay probability of burnt-in text, an arrow or a ruler
 */
public record Augmentation(
    int copies, double flip, double maxRotationDegrees, double maxZoom, double maxBrightness, double maxContrast,
    double minCropArea, double maxLogGamma, double blurSharpen, double maxNoise, double jpeg, double lowResolution,
    double overlay) {

  public static final Augmentation PAPER = new Augmentation(4, 0.5, 10, 0.1, 0.05, 0.1);
  /** The paper's jitter plus the source-shift transforms (the default since the transfer study). */
  public static final Augmentation SOURCE_SHIFT =
      new Augmentation(4, 0.5, 10, 0.1, 0.05, 0.15, 0.6, 0.4, 0.3, 0.03, 0.25, 0.2, 0.25);
  public static final Augmentation NONE = new Augmentation(1, 0, 0, 0, 0, 0);

  /** The paper's augmentation only. */
  public Augmentation(int copies, double flip, double maxRotationDegrees, double maxZoom, double maxBrightness,
      double maxContrast) {
    this(copies, flip, maxRotationDegrees, maxZoom, maxBrightness, maxContrast, 1, 0, 0, 0, 0, 0, 0);
  }

  public Augmentation {
    if (copies < 1) {
      throw new IllegalArgumentException("augmentation copies must be >= 1, got " + copies);
    }
    for (double p : new double[] {flip, blurSharpen, jpeg, lowResolution, overlay}) {
      if (p < 0 || p > 1) {
        throw new IllegalArgumentException("augmentation probabilities must be in [0, 1], got " + p);
      }
    }
    if (maxRotationDegrees < 0 || maxZoom < 0 || maxZoom >= 1 || maxBrightness < 0 || maxContrast < 0 || maxContrast >= 1
        || maxLogGamma < 0 || maxNoise < 0) {
      throw new IllegalArgumentException("augmentation ranges must be non-negative (zoom and contrast < 1)");
    }
    if (!(minCropArea > 0 && minCropArea <= 1)) {
      throw new IllegalArgumentException("minimum crop area must be in (0, 1], got " + minCropArea);
    }
  }

  public Augmentation withCopies(int n) {
    return new Augmentation(n, flip, maxRotationDegrees, maxZoom, maxBrightness, maxContrast, minCropArea, maxLogGamma,
        blurSharpen, maxNoise, jpeg, lowResolution, overlay);
  }

  /** Augments one image of {@code height × width} into {@code out}. */
  public void apply(float[] in, float[] out, int height, int width, long seed) {
    apply(in, out, height, width, seed, null, null);
  }

  /**
   * Augments one image and, when given, its mask (values in [0, 1], same size): the mask follows the
   * image's geometric transform (flip, rotation, zoom, crop; sampled bilinearly, so it becomes a
   * covered share per pixel) and none of the photometric ones. The image comes out as without a mask.
   */
  public void apply(float[] in, float[] out, int height, int width, long seed, float[] maskIn, float[] maskOut) {
    Random r = new Random(seed);
    boolean mirror = r.nextDouble() < flip;
    double angle = Math.toRadians((r.nextDouble() * 2 - 1) * maxRotationDegrees);
    double zoom = 1 + (r.nextDouble() * 2 - 1) * maxZoom;
    double brightness = (r.nextDouble() * 2 - 1) * maxBrightness;
    double contrast = 1 + (r.nextDouble() * 2 - 1) * maxContrast;
    // Random resized crop: the output shows a (cropW × cropH) window centred at (ox, oy).
    double area = minCropArea + r.nextDouble() * (1 - minCropArea);
    double aspectDraw = r.nextDouble();
    double aspect = minCropArea < 1 ? Math.exp((aspectDraw * 2 - 1) * Math.log(4.0 / 3)) : 1;
    double scaleX = Math.min(1, Math.sqrt(area * aspect));
    double scaleY = Math.min(1, Math.sqrt(area / aspect));
    double shiftX = (r.nextDouble() * 2 - 1) * (1 - scaleX) / 2 * width;
    double shiftY = (r.nextDouble() * 2 - 1) * (1 - scaleY) / 2 * height;
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
        double dx = ((mirror ? (width - 1 - x) : x) - cx) * scaleX;
        double dy = (y - cy) * scaleY;
        // Inverse mapping: where in the source does this output pixel come from.
        double sx = cos * dx + sin * dy + cx + shiftX;
        double sy = -sin * dx + cos * dy + cy + shiftY;
        double v = sample(in, height, width, sx, sy);
        if (maskIn != null) {
          maskOut[y * width + x] = (float) sample(maskIn, height, width, sx, sy);
        }
        v = (v - mean) * contrast + mean + brightness;
        out[y * width + x] = (float) Math.max(0, Math.min(1, v));
      }
    }
    if (maxLogGamma > 0) {
      double gamma = Math.exp((r.nextDouble() * 2 - 1) * maxLogGamma);
      for (int i = 0; i < out.length; i++) {
        out[i] = (float) Math.pow(out[i], gamma);
      }
    }
    if (r.nextDouble() < blurSharpen) {
      double sigma = 0.5 + r.nextDouble();
      float[] blurred = gaussianBlur(out, height, width, sigma);
      if (r.nextBoolean()) {
        System.arraycopy(blurred, 0, out, 0, out.length);
      } else {
        double amount = 0.5 + r.nextDouble();
        for (int i = 0; i < out.length; i++) {
          out[i] = clamp(out[i] + amount * (out[i] - blurred[i]));
        }
      }
    }
    if (r.nextDouble() < lowResolution) {
      int factor = 2 + r.nextInt(3);
      lowerResolution(out, height, width, factor);
    }
    if (r.nextDouble() < overlay) {
      drawOverlay(out, height, width, r);
    }
    if (maxNoise > 0) {
      double sigma = r.nextDouble() * maxNoise;
      for (int i = 0; i < out.length; i++) {
        out[i] = clamp(out[i] + sigma * r.nextGaussian());
      }
    }
    if (r.nextDouble() < jpeg) {
      recompress(out, height, width, 0.2f + 0.5f * r.nextFloat());
    }
  }

  private static float clamp(double v) {
    return (float) Math.max(0, Math.min(1, v));
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

  /** Separable Gaussian blur with edge clamping. */
  static float[] gaussianBlur(float[] in, int height, int width, double sigma) {
    int radius = (int) Math.ceil(2.5 * sigma);
    double[] kernel = new double[2 * radius + 1];
    double sum = 0;
    for (int i = -radius; i <= radius; i++) {
      kernel[i + radius] = Math.exp(-i * i / (2 * sigma * sigma));
      sum += kernel[i + radius];
    }
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] /= sum;
    }
    float[] rows = new float[in.length];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        double v = 0;
        for (int k = -radius; k <= radius; k++) {
          v += kernel[k + radius] * in[y * width + Math.max(0, Math.min(width - 1, x + k))];
        }
        rows[y * width + x] = (float) v;
      }
    }
    float[] result = new float[in.length];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        double v = 0;
        for (int k = -radius; k <= radius; k++) {
          v += kernel[k + radius] * rows[Math.max(0, Math.min(height - 1, y + k)) * width + x];
        }
        result[y * width + x] = (float) v;
      }
    }
    return result;
  }

  /** Box-averages {@code factor × factor} blocks, then samples back up bilinearly. */
  private static void lowerResolution(float[] img, int height, int width, int factor) {
    int h = Math.max(1, height / factor);
    int w = Math.max(1, width / factor);
    float[] small = new float[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double s = 0;
        int n = 0;
        for (int yy = y * factor; yy < Math.min(height, (y + 1) * factor); yy++) {
          for (int xx = x * factor; xx < Math.min(width, (x + 1) * factor); xx++) {
            s += img[yy * width + xx];
            n++;
          }
        }
        small[y * w + x] = (float) (s / n);
      }
    }
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        img[y * width + x] = (float) sample(small, h, w, (x + 0.5) * w / width - 0.5, (y + 0.5) * h / height - 0.5);
      }
    }
  }

  private static BufferedImage toGrey(float[] img, int height, int width) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    byte[] data = ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < img.length; i++) {
      data[i] = (byte) Math.round(img[i] * 255);
    }
    return image;
  }

  private static void fromGrey(BufferedImage image, float[] img) {
    java.awt.image.Raster raster = image.getRaster();
    int width = image.getWidth();
    for (int i = 0; i < img.length; i++) {
      img[i] = raster.getSample(i % width, i / width, 0) / 255f;
    }
  }

  /** Burnt-in annotations as found in figures: a label, an arrow or a ruler, in white or black. */
  private static void drawOverlay(float[] img, int height, int width, Random r) {
    BufferedImage image = toGrey(img, height, width);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(r.nextDouble() < 0.8 ? Color.WHITE : Color.BLACK);
      int x = r.nextInt(width);
      int y = r.nextInt(height);
      switch (r.nextInt(3)) {
        case 0 -> {
          g.setFont(new Font(Font.SANS_SERIF, r.nextBoolean() ? Font.BOLD : Font.PLAIN, 10 + r.nextInt(14)));
          String[] words = {"A", "B", "R", "L", "Fig. 2", "Day 7", "W:1500 L:-600", "5 mm", "*"};
          g.drawString(words[r.nextInt(words.length)], Math.min(x, width - 40), Math.max(y, 16));
        }
        case 1 -> {
          g.setStroke(new BasicStroke(1.5f + r.nextFloat() * 2));
          double a = r.nextDouble() * 2 * Math.PI;
          int len = 15 + r.nextInt(25);
          int x2 = (int) (x + len * Math.cos(a));
          int y2 = (int) (y + len * Math.sin(a));
          g.drawLine(x, y, x2, y2);
          for (double side : new double[] {0.5, -0.5}) {
            g.drawLine(x2, y2, (int) (x2 - 7 * Math.cos(a + side)), (int) (y2 - 7 * Math.sin(a + side)));
          }
        }
        default -> {
          g.setStroke(new BasicStroke(1f));
          int len = 30 + r.nextInt(60);
          int x0 = Math.min(x, width - len - 1);
          g.drawLine(x0, y, x0 + len, y);
          for (int t = 0; t <= len; t += 10) {
            g.drawLine(x0 + t, y, x0 + t, y - 4);
          }
        }
      }
    } finally {
      g.dispose();
    }
    fromGrey(image, img);
  }

  private static void recompress(float[] img, int height, int width, float quality) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(bytes)) {
        writer.setOutput(stream);
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality);
        writer.write(null, new IIOImage(toGrey(img, height, width), null, null), param);
      }
      fromGrey(ImageIO.read(new ByteArrayInputStream(bytes.toByteArray())), img);
    } catch (IOException e) {
      throw new UncheckedIOException("JPEG re-compression failed", e);
    } finally {
      writer.dispose();
    }
  }
}
