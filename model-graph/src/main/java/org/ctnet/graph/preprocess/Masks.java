package org.ctnet.graph.preprocess;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Binary-image operations under the lung field: Otsu's threshold, 4-connected components and flood
 * fills, hole filling, convex hulls, and dilation/erosion by a disc through an exact Euclidean distance
 * transform. Plain arrays in, plain arrays out: no knowledge of lungs.
 */
final class Masks {
  private Masks() {}

  /** The filled convex hull of a pixel set (Andrew's monotone chain over each row's extreme pixels). */
  static boolean[] convexHull(int[] pixels, int width, int height) {
    int[] left = new int[height];
    int[] right = new int[height];
    java.util.Arrays.fill(left, Integer.MAX_VALUE);
    java.util.Arrays.fill(right, -1);
    for (int p : pixels) {
      int x = p % width;
      int y = p / width;
      left[y] = Math.min(left[y], x);
      right[y] = Math.max(right[y], x);
    }
    List<long[]> points = new ArrayList<>();
    for (int y = 0; y < height; y++) {
      if (right[y] >= 0) {
        points.add(new long[] {left[y], y});
        if (right[y] != left[y]) {
          points.add(new long[] {right[y], y});
        }
      }
    }
    points.sort(Comparator.<long[]>comparingLong(q -> q[0]).thenComparingLong(q -> q[1]));
    long[][] hull = new long[2 * points.size() + 1][];
    int k = 0;
    for (long[] q : points) {
      while (k >= 2 && cross(hull[k - 2], hull[k - 1], q) <= 0) {
        k--;
      }
      hull[k++] = q;
    }
    for (int i = points.size() - 2, lower = k + 1; i >= 0; i--) {
      long[] q = points.get(i);
      while (k >= lower && cross(hull[k - 2], hull[k - 1], q) <= 0) {
        k--;
      }
      hull[k++] = q;
    }
    int vertices = Math.max(1, k - 1);
    boolean[] out = new boolean[width * height];
    for (int y = 0; y < height; y++) {
      double from = Double.POSITIVE_INFINITY;
      double to = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < vertices; i++) {
        long[] a = hull[i];
        long[] b = hull[(i + 1) % vertices];
        if ((a[1] <= y && y <= b[1]) || (b[1] <= y && y <= a[1])) {
          if (a[1] == b[1]) {
            from = Math.min(from, Math.min(a[0], b[0]));
            to = Math.max(to, Math.max(a[0], b[0]));
          } else {
            double x = a[0] + (double) (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            from = Math.min(from, x);
            to = Math.max(to, x);
          }
        }
      }
      for (int x = (int) Math.ceil(from - 1e-9); x <= Math.floor(to + 1e-9) && x < width; x++) {
        if (x >= 0) {
          out[y * width + x] = true;
        }
      }
    }
    return out;
  }

  private static long cross(long[] o, long[] a, long[] b) {
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
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
  static boolean[] reachableFromBorder(boolean[] region, int width, int height) {
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
  static List<int[]> components(boolean[] region, int width, int height) {
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
  static boolean[] fillHoles(boolean[] mask, int width, int height) {
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
  static boolean[] dilate(boolean[] mask, int width, int height, int radius) {
    return morph(mask, width, height, radius, true);
  }

  static boolean[] erode(boolean[] mask, int width, int height, int radius) {
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
