package org.ctnet.trainer.explain;

import java.util.Arrays;
import java.util.Random;
import org.ctnet.trainer.eval.Metrics;

/**
 * How well a heatmap agrees with a binary mask, all on maps of the same size. Every function is
 * checked against hand-computed cases in the tests.
 */
public final class MapMetrics {
  private MapMetrics() {}

  /** 1 when the heatmap's maximum (the first, on ties) lies inside the mask. */
  public static double pointingGame(float[] heat, boolean[] mask) {
    int best = 0;
    for (int i = 1; i < heat.length; i++) {
      if (heat[i] > heat[best]) {
        best = i;
      }
    }
    return mask[best] ? 1 : 0;
  }

  /** Share of the positive heatmap mass inside the mask (Wang et al. 2020, Score-CAM). NaN for an empty map. */
  public static double energyInMask(float[] heat, boolean[] mask) {
    double inside = 0;
    double total = 0;
    for (int i = 0; i < heat.length; i++) {
      double v = Math.max(0, heat[i]);
      total += v;
      if (mask[i]) {
        inside += v;
      }
    }
    return total == 0 ? Double.NaN : inside / total;
  }

  /** The top {@code fraction} of pixels by heat (ties broken by index) as a region. */
  public static boolean[] topRegion(float[] heat, double fraction) {
    int k = (int) Math.max(1, Math.round(fraction * heat.length));
    Integer[] order = new Integer[heat.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> heat[a] != heat[b] ? Float.compare(heat[b], heat[a]) : Integer.compare(a, b));
    boolean[] region = new boolean[heat.length];
    for (int i = 0; i < k; i++) {
      region[order[i]] = true;
    }
    return region;
  }

  public static double iou(boolean[] a, boolean[] b) {
    int inter = 0;
    int union = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i] && b[i]) {
        inter++;
      }
      if (a[i] || b[i]) {
        union++;
      }
    }
    return union == 0 ? Double.NaN : (double) inter / union;
  }

  public static double dice(boolean[] a, boolean[] b) {
    int inter = 0;
    int sizes = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i] && b[i]) {
        inter++;
      }
      sizes += (a[i] ? 1 : 0) + (b[i] ? 1 : 0);
    }
    return sizes == 0 ? Double.NaN : 2.0 * inter / sizes;
  }

  /** AUROC of heat values as a pixel classifier of the mask. */
  public static double pixelAuroc(float[] heat, boolean[] mask) {
    double[] s = new double[heat.length];
    int[] y = new int[heat.length];
    for (int i = 0; i < heat.length; i++) {
      s[i] = heat[i];
      y[i] = mask[i] ? 1 : 0;
    }
    return Metrics.rocAuc(s, y);
  }

  public static double areaFraction(boolean[] mask) {
    int n = 0;
    for (boolean b : mask) {
      if (b) {
        n++;
      }
    }
    return (double) n / mask.length;
  }

  /** Baseline: an isotropic Gaussian in the middle of the image (σ = a quarter of the smaller side). */
  public static float[] centreGaussian(int width, int height) {
    float[] out = new float[width * height];
    double sigma = Math.min(width, height) / 4.0;
    double cx = (width - 1) / 2.0;
    double cy = (height - 1) / 2.0;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
        out[y * width + x] = (float) Math.exp(-d2 / (2 * sigma * sigma));
      }
    }
    return out;
  }

  /** Baseline: uniform noise, reproducible from the seed. */
  public static float[] randomMap(int width, int height, long seed) {
    Random r = new Random(seed);
    float[] out = new float[width * height];
    for (int i = 0; i < out.length; i++) {
      out[i] = r.nextFloat();
    }
    return out;
  }
}
