package org.ctnet.graph.render;

import java.awt.image.BufferedImage;

/**
 * Heatmap rendering: a jet colormap blended over the grey model input, as PNG. The colour's weight
 * rises continuously with the heat (full {@code opacity} from {@link #FULL_COLOUR_HEAT} up), so an
 * upsampled 14×14 map fades into the slice instead of leaving hard-edged holes where it is exactly 0.
 */
public final class HeatmapRenderer {
  /** Heat from which the colour has its full opacity; below it the weight ramps linearly from 0. */
  public static final double FULL_COLOUR_HEAT = 0.25;

  private HeatmapRenderer() {}

  /** The colour's weight at this heat: 0 at 0, rising linearly to {@code opacity} at {@link #FULL_COLOUR_HEAT}. */
  public static double alpha(double heat, double opacity) {
    return opacity * Math.max(0, Math.min(1, heat / FULL_COLOUR_HEAT));
  }

  /** Jet colormap of v in [0, 1] as 0xRRGGBB. */
  public static int jet(double v) {
    v = Math.max(0, Math.min(1, v));
    double r = clamp(1.5 - Math.abs(4 * v - 3));
    double g = clamp(1.5 - Math.abs(4 * v - 2));
    double b = clamp(1.5 - Math.abs(4 * v - 1));
    return ((int) Math.round(r * 255) << 16) | ((int) Math.round(g * 255) << 8) | (int) Math.round(b * 255);
  }

  private static double clamp(double x) {
    return Math.max(0, Math.min(1, x));
  }

  /**
   * @param grey model-input pixels in [0, 1], row-major
   * @param heatmap normalised heatmap in [0, 1], same size
   * @param opacity weight of the heatmap colour, 0..1
   */
  public static byte[] png(float[] grey, float[] heatmap, int width, int height, double opacity) {
    return encode(blend(grey, heatmap, width, height, opacity));
  }

  /** The heatmap blended over the grey input, as an image (for pictures composed further, e.g. DICOM captures). */
  public static BufferedImage blend(float[] grey, float[] heatmap, int width, int height, double opacity) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int[] pixels = pixels(image);
    for (int i = 0; i < width * height; i++) {
      int g = Math.round(Math.max(0, Math.min(1, grey[i])) * 255);
      int c = jet(heatmap[i]);
      double a = alpha(heatmap[i], opacity);
      int r = (int) Math.round((1 - a) * g + a * ((c >> 16) & 0xff));
      int gg = (int) Math.round((1 - a) * g + a * ((c >> 8) & 0xff));
      int b = (int) Math.round((1 - a) * g + a * (c & 0xff));
      pixels[i] = (r << 16) | (gg << 8) | b;
    }
    return image;
  }

  /** The grey input alone as PNG. */
  public static byte[] greyPng(float[] grey, int width, int height) {
    return png(grey, new float[grey.length], width, height, 0);
  }

  /** The heatmap alone as RGBA PNG whose alpha follows the heat as in the overlays (for client-side opacity). */
  public static byte[] heatPng(float[] heatmap, int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
    int[] pixels = pixels(image);
    for (int i = 0; i < width * height; i++) {
      int alpha = (int) Math.round(alpha(heatmap[i], 1) * 255);
      pixels[i] = (alpha << 24) | jet(heatmap[i]);
    }
    return encode(image);
  }

  /**
   * Colour of the lesion overlay (magenta, 0xRRGGBB): its own colour, so a lesion map is never
   * mistaken for a Grad-CAM heatmap beside it.
   */
  public static final int LESION_COLOUR = 0xff00dc;

  /**
   * The lesion map blended over the grey input in {@link #LESION_COLOUR}, its weight rising
   * continuously with the lesion probability (0 at 0, {@code opacity} at 1).
   */
  public static byte[] lesionPng(float[] grey, float[] lesion, int width, int height, double opacity) {
    return encode(lesionBlend(grey, lesion, width, height, opacity));
  }

  /** As {@link #lesionPng}, as an image. */
  public static BufferedImage lesionBlend(float[] grey, float[] lesion, int width, int height, double opacity) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int[] pixels = pixels(image);
    for (int i = 0; i < width * height; i++) {
      int g = Math.round(Math.max(0, Math.min(1, grey[i])) * 255);
      double a = opacity * Math.max(0, Math.min(1, lesion[i]));
      int r = (int) Math.round((1 - a) * g + a * ((LESION_COLOUR >> 16) & 0xff));
      int gg = (int) Math.round((1 - a) * g + a * ((LESION_COLOUR >> 8) & 0xff));
      int b = (int) Math.round((1 - a) * g + a * (LESION_COLOUR & 0xff));
      pixels[i] = (r << 16) | (gg << 8) | b;
    }
    return image;
  }

  /** The lesion map alone as RGBA PNG in {@link #LESION_COLOUR}, alpha = probability (for client-side layering). */
  public static byte[] lesionLayerPng(float[] lesion, int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
    int[] pixels = pixels(image);
    for (int i = 0; i < width * height; i++) {
      int alpha = (int) Math.round(Math.max(0, Math.min(1, lesion[i])) * 255);
      pixels[i] = (alpha << 24) | LESION_COLOUR;
    }
    return encode(image);
  }

  /** Averages a [H×W] map down to [rows×cols] (area averaging). */
  public static float[][] grid(float[] map, int width, int height, int rows, int cols) {
    float[][] out = new float[rows][cols];
    for (int r = 0; r < rows; r++) {
      int y0 = r * height / rows;
      int y1 = Math.max(y0 + 1, (r + 1) * height / rows);
      for (int c = 0; c < cols; c++) {
        int x0 = c * width / cols;
        int x1 = Math.max(x0 + 1, (c + 1) * width / cols);
        double s = 0;
        for (int y = y0; y < y1; y++) {
          for (int x = x0; x < x1; x++) {
            s += map[y * width + x];
          }
        }
        out[r][c] = (float) (s / ((y1 - y0) * (x1 - x0)));
      }
    }
    return out;
  }

  /**
   * The grey image with the heatmap blended in and the mask's outline drawn in white (for
   * comparing maps with radiologist masks).
   */
  public static byte[] pngWithContour(float[] grey, float[] heatmap, boolean[] mask, int width, int height, double opacity) {
    BufferedImage image = blend(grey, heatmap, width, height, opacity);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int i = y * width + x;
        if (mask[i] && ((x > 0 && !mask[i - 1]) || (x < width - 1 && !mask[i + 1])
            || (y > 0 && !mask[i - width]) || (y < height - 1 && !mask[i + width]))) {
          image.setRGB(x, y, 0xffffff);
        }
      }
    }
    return encode(image);
  }

  /**
   * The int pixels of an image this class made (row-major, no stride padding): written directly,
   * setRGB's per-pixel colour-model conversion took most of a rendering.
   */
  private static int[] pixels(BufferedImage image) {
    return ((java.awt.image.DataBufferInt) image.getRaster().getDataBuffer()).getData();
  }

  private static byte[] encode(BufferedImage image) {
    return PngWriter.encode(image);
  }
}
