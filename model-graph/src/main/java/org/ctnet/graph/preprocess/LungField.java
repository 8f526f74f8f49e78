package org.ctnet.graph.preprocess;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The lung field of an axial chest slice, found by classic image processing on the model input
 * (no model): Otsu's threshold splits air from tissue; air connected to the image border is
 * outside the body; the two largest air regions inside it (each at least
 * {@value #MIN_LUNG_AREA} of the image) are the lungs; a closing of radius
 * {@value #CLOSING_RADIUS} of the image side and hole filling bring back what is denser than air
 * inside or at the edge of a lung — vessels, ground glass, consolidation — which is where lesions
 * are. A slice whose lungs touch the image border (a tight crop) or that has no air inside a body
 * has no lung field: {@link #found()} is false and the mask covers the whole image, so a map
 * constrained by it is unchanged.
 *
 * @param mask width × height, row-major, true inside the lung field
 * @param found whether lungs were found (false: the mask is the whole image)
 */
public record LungField(boolean[] mask, int width, int height, boolean found) {
  /** Smallest share of the image a lung may cover. */
  public static final double MIN_LUNG_AREA = 0.01;
  /** Closing radius as a share of the shorter image side. */
  public static final double CLOSING_RADIUS = 0.04;

  /**
   * @param grey model-input grey levels in [0, 1], row-major (the first channel of the model input)
   */
  public static LungField find(float[] grey, int width, int height) {
    if (grey.length < (long) width * height) {
      throw new IllegalArgumentException("need " + ((long) width * height) + " pixels, got " + grey.length);
    }
    int n = width * height;
    float threshold = otsu(grey, n);
    boolean[] air = new boolean[n];
    for (int i = 0; i < n; i++) {
      air[i] = grey[i] <= threshold;
    }
    boolean[] outside = reachableFromBorder(air, width, height);
    boolean[] inside = new boolean[n];
    for (int i = 0; i < n; i++) {
      inside[i] = air[i] && !outside[i];
    }
    List<int[]> components = components(inside, width, height);
    components.sort(Comparator.comparingInt((int[] c) -> c.length).reversed());
    boolean[] lungs = new boolean[n];
    int kept = 0;
    for (int[] component : components) {
      if (kept == 2 || component.length < MIN_LUNG_AREA * n) {
        break;
      }
      for (int p : component) {
        lungs[p] = true;
      }
      kept++;
    }
    if (kept == 0) {
      boolean[] all = new boolean[n];
      java.util.Arrays.fill(all, true);
      return new LungField(all, width, height, false);
    }
    int radius = Math.max(1, (int) Math.round(CLOSING_RADIUS * Math.min(width, height)));
    boolean[] closed = erode(dilate(lungs, width, height, radius), width, height, radius);
    for (int i = 0; i < n; i++) {
      closed[i] |= lungs[i];
    }
    return new LungField(fillHoles(closed, width, height), width, height, true);
  }

  /** Share of the image inside the lung field. */
  public double areaFraction() {
    int inside = 0;
    for (boolean b : mask) {
      if (b) {
        inside++;
      }
    }
    return (double) inside / mask.length;
  }

  /**
   * The map restricted to the lung field and divided by its new maximum (all zero when nothing is
   * left inside); unchanged when no lung field was found.
   */
  public float[] constrain(float[] heatmap) {
    if (heatmap.length != mask.length) {
      throw new IllegalArgumentException("heatmap has " + heatmap.length + " pixels, the lung field " + mask.length);
    }
    if (!found) {
      return heatmap.clone();
    }
    float[] out = new float[heatmap.length];
    float max = 0;
    for (int i = 0; i < out.length; i++) {
      out[i] = mask[i] ? heatmap[i] : 0f;
      max = Math.max(max, out[i]);
    }
    if (max > 0) {
      for (int i = 0; i < out.length; i++) {
        out[i] /= max;
      }
    }
    return out;
  }

  /** Otsu's threshold over 256 bins of [0, 1]: the level that maximises the between-class variance. */
  static float otsu(float[] grey, int n) {
    int[] histogram = new int[256];
    for (int i = 0; i < n; i++) {
      histogram[Math.max(0, Math.min(255, (int) (grey[i] * 255f + 0.5f)))]++;
    }
    double total = 0;
    for (int b = 0; b < 256; b++) {
      total += (double) b * histogram[b];
    }
    double below = 0;
    double belowSum = 0;
    double best = -1;
    int bestBin = 127;
    for (int b = 0; b < 256; b++) {
      below += histogram[b];
      belowSum += (double) b * histogram[b];
      double above = n - below;
      if (below == 0 || above == 0) {
        continue;
      }
      double meanBelow = belowSum / below;
      double meanAbove = (total - belowSum) / above;
      double between = below * above * (meanBelow - meanAbove) * (meanBelow - meanAbove);
      if (between > best) {
        best = between;
        bestBin = b;
      }
    }
    return (bestBin + 0.5f) / 255f;
  }

  /** Pixels of {@code region} 4-connected to the image border through {@code region}. */
  private static boolean[] reachableFromBorder(boolean[] region, int width, int height) {
    boolean[] seen = new boolean[region.length];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int x = 0; x < width; x++) {
      seed(region, seen, queue, x);
      seed(region, seen, queue, (height - 1) * width + x);
    }
    for (int y = 0; y < height; y++) {
      seed(region, seen, queue, y * width);
      seed(region, seen, queue, y * width + width - 1);
    }
    flood(region, seen, queue, width, height, null);
    return seen;
  }

  private static void seed(boolean[] region, boolean[] seen, ArrayDeque<Integer> queue, int p) {
    if (region[p] && !seen[p]) {
      seen[p] = true;
      queue.add(p);
    }
  }

  private static void flood(boolean[] region, boolean[] seen, ArrayDeque<Integer> queue, int width, int height,
      List<Integer> members) {
    while (!queue.isEmpty()) {
      int p = queue.poll();
      if (members != null) {
        members.add(p);
      }
      int x = p % width;
      int y = p / width;
      if (x > 0) {
        seed(region, seen, queue, p - 1);
      }
      if (x < width - 1) {
        seed(region, seen, queue, p + 1);
      }
      if (y > 0) {
        seed(region, seen, queue, p - width);
      }
      if (y < height - 1) {
        seed(region, seen, queue, p + width);
      }
    }
  }

  /** 4-connected components of {@code region}, each as its pixel indices. */
  private static List<int[]> components(boolean[] region, int width, int height) {
    boolean[] seen = new boolean[region.length];
    List<int[]> out = new ArrayList<>();
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int p = 0; p < region.length; p++) {
      if (region[p] && !seen[p]) {
        seen[p] = true;
        queue.add(p);
        List<Integer> members = new ArrayList<>();
        flood(region, seen, queue, width, height, members);
        out.add(members.stream().mapToInt(Integer::intValue).toArray());
      }
    }
    return out;
  }

  /** Everything not reachable from the border through the mask's complement. */
  private static boolean[] fillHoles(boolean[] mask, int width, int height) {
    boolean[] background = new boolean[mask.length];
    for (int i = 0; i < mask.length; i++) {
      background[i] = !mask[i];
    }
    boolean[] outside = reachableFromBorder(background, width, height);
    boolean[] out = new boolean[mask.length];
    for (int i = 0; i < mask.length; i++) {
      out[i] = !outside[i];
    }
    return out;
  }

  /** Dilation by a disc: a pixel is set when a set pixel lies within the radius. */
  private static boolean[] dilate(boolean[] mask, int width, int height, int radius) {
    return morph(mask, width, height, radius, true);
  }

  private static boolean[] erode(boolean[] mask, int width, int height, int radius) {
    return morph(mask, width, height, radius, false);
  }

  /**
   * Disc-shaped dilation (any) or erosion (all) through a distance transform: exact, O(pixels)
   * per pass, independent of the radius. Pixels outside the image do not count, so a lung
   * touching the border is not eroded from it.
   */
  private static boolean[] morph(boolean[] mask, int width, int height, int radius, boolean dilate) {
    // Squared Euclidean distance to the nearest pixel of the target set (set pixels for
    // dilation, unset pixels for erosion), Felzenszwalb–Huttenlocher.
    double inf = 1e18;
    double[] distance = new double[mask.length];
    for (int i = 0; i < mask.length; i++) {
      distance[i] = mask[i] == dilate ? 0 : inf;
    }
    double[] column = new double[height];
    double[] result = new double[Math.max(width, height)];
    for (int x = 0; x < width; x++) {
      for (int y = 0; y < height; y++) {
        column[y] = distance[y * width + x];
      }
      transform(column, height, result);
      for (int y = 0; y < height; y++) {
        distance[y * width + x] = result[y];
      }
    }
    double[] row = new double[width];
    for (int y = 0; y < height; y++) {
      System.arraycopy(distance, y * width, row, 0, width);
      transform(row, width, result);
      System.arraycopy(result, 0, distance, y * width, width);
    }
    boolean[] out = new boolean[mask.length];
    double limit = (double) radius * radius;
    for (int i = 0; i < mask.length; i++) {
      boolean near = distance[i] <= limit;
      out[i] = dilate ? near : !near;
    }
    return out;
  }

  /** One-dimensional squared distance transform (lower envelope of parabolas, Felzenszwalb–Huttenlocher). */
  private static void transform(double[] f, int n, double[] d) {
    int[] v = new int[n];
    double[] z = new double[n + 1];
    int k = 0;
    v[0] = 0;
    z[0] = Double.NEGATIVE_INFINITY;
    z[1] = Double.POSITIVE_INFINITY;
    for (int q = 1; q < n; q++) {
      double s = intersection(f, q, v[k]);
      while (s <= z[k]) {
        k--;
        s = intersection(f, q, v[k]);
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Double.POSITIVE_INFINITY;
    }
    k = 0;
    for (int q = 0; q < n; q++) {
      while (z[k + 1] < q) {
        k++;
      }
      d[q] = (q - v[k]) * (double) (q - v[k]) + f[v[k]];
    }
  }

  private static double intersection(double[] f, int q, int p) {
    return ((f[q] + (double) q * q) - (f[p] + (double) p * p)) / (2.0 * q - 2.0 * p);
  }
}
