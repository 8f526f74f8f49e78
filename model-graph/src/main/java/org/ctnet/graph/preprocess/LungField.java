package org.ctnet.graph.preprocess;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The lung field of an axial chest slice, found by classic image processing on the model input
 * (no model): Otsu's threshold splits air from tissue; the convex hull of the large tissue
 * regions is the thorax; the largest air regions inside it (at most {@value #MAX_LUNG_REGIONS},
 * each at least {@value #MIN_LUNG_AREA} of the image) are the lungs; each lung's convex hull on its
 * lateral side (or a closing where the hull would be far larger than the region) and hole filling
 * bring back what is denser than air inside or at the edge of a lung — vessels, subpleural
 * consolidation — which is where lesions are, without taking in the heart. It needs a lung
 * window: in a mediastinal window the heart is as dark as the lungs and joins the field. A slice with no such air region inside the thorax, or whose field would cover more than
 * {@value #MAX_FIELD_AREA} of the image (e.g. a mediastinal window, where the heart is as dark
 * as air), has no lung field: {@link #found()} is false and the mask covers the whole image, so a
 * map constrained by it is unchanged.
 *
 * @param mask width × height, row-major, true inside the lung field
 * @param found whether lungs were found (false: the mask is the whole image)
 */
public record LungField(boolean[] mask, int width, int height, boolean found) {
  /** Smallest share of the image a lung may cover. */
  public static final double MIN_LUNG_AREA = 0.01;
  /** A field covering more than this share of the image constrains nothing: reported as not found. */
  public static final double MAX_FIELD_AREA = 0.85;
  /** At most this many air regions make the lung field (two lungs, split by disease or a fissure). */
  public static final int MAX_LUNG_REGIONS = 4;
  /** A lung region is replaced by its convex hull when the hull is at most this many times its area. */
  public static final double MAX_HULL_RATIO = 1.5;
  /** Closing radius as a share of the shorter image side (regions whose hull is too large). */
  public static final double CLOSING_RADIUS = 0.05;

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
    // The thorax: the convex hull of the tissue regions of at least MIN_LUNG_AREA (a hull, not
    // "air touching the border", so that lungs reaching the edge of a tight crop still count).
    boolean[] tissue = new boolean[n];
    for (int i = 0; i < n; i++) {
      tissue[i] = !air[i];
    }
    List<int[]> tissueRegions = components(tissue, width, height).stream()
        .filter(c -> c.length >= MIN_LUNG_AREA * n).toList();
    if (tissueRegions.isEmpty()) {
      return whole(width, height);
    }
    int[] allTissue = tissueRegions.stream().flatMapToInt(java.util.Arrays::stream).toArray();
    boolean[] thorax = convexHull(allTissue, width, height);
    // Lungs: large air regions enclosed by the thorax; one touching the border counts only when
    // most of it lies inside the thorax (a lung cut by a tight crop), not when it surrounds it.
    List<int[]> candidates = new ArrayList<>();
    for (int[] component : components(air, width, height)) {
      if (component.length < MIN_LUNG_AREA * n) {
        continue;
      }
      int inside = 0;
      boolean border = false;
      for (int p : component) {
        if (thorax[p]) {
          inside++;
        }
        int x = p % width;
        int y = p / width;
        border |= x == 0 || y == 0 || x == width - 1 || y == height - 1;
      }
      if (!border || inside > component.length / 2) {
        candidates.add(component);
      }
    }
    candidates.sort(Comparator.comparingInt((int[] c) -> c.length).reversed());
    List<int[]> kept = candidates.subList(0, Math.min(MAX_LUNG_REGIONS, candidates.size()));
    if (kept.isEmpty()) {
      return whole(width, height);
    }
    // Each lung's lateral hull brings back dense disease at its outer edge (subpleural
    // consolidation bites into the aerated lung); a region whose hull is much larger than itself
    // (both lungs joined through an airway) gets a closing instead, which cannot swallow the
    // mediastinum.
    int radius = Math.max(1, (int) Math.round(CLOSING_RADIUS * Math.min(width, height)));
    boolean[] closed = new boolean[n];
    for (int[] component : kept) {
      boolean[] hull = convexHull(component, width, height);
      int hullArea = 0;
      for (boolean b : hull) {
        hullArea += b ? 1 : 0;
      }
      boolean[] region;
      if (hullArea <= MAX_HULL_RATIO * component.length) {
        region = lateralHull(component, hull, width, height);
      } else {
        boolean[] own = new boolean[n];
        for (int p : component) {
          own[p] = true;
        }
        region = erode(dilate(own, width, height, radius), width, height, radius);
        for (int p : component) {
          region[p] = true;
        }
      }
      for (int i = 0; i < n; i++) {
        closed[i] |= region[i] && thorax[i];
      }
    }
    boolean[] field = fillHoles(closed, width, height);
    int inside = 0;
    for (boolean b : field) {
      if (b) {
        inside++;
      }
    }
    return inside > MAX_FIELD_AREA * n ? whole(width, height) : new LungField(field, width, height, true);
  }


  private static LungField whole(int width, int height) {
    boolean[] all = new boolean[width * height];
    java.util.Arrays.fill(all, true);
    return new LungField(all, width, height, false);
  }

  /**
   * The hull on the lung's lateral side only: in each row where the lung has pixels, from the
   * hull's outer edge to the lung's own inner edge (the heart and mediastinum stay out); rows
   * with no lung pixels (a dense base) take the whole hull. Lateral = away from the image centre.
   */
  private static boolean[] lateralHull(int[] component, boolean[] hull, int width, int height) {
    int[] from = new int[height];
    int[] to = new int[height];
    java.util.Arrays.fill(from, Integer.MAX_VALUE);
    java.util.Arrays.fill(to, -1);
    long sumX = 0;
    for (int p : component) {
      int x = p % width;
      int y = p / width;
      from[y] = Math.min(from[y], x);
      to[y] = Math.max(to[y], x);
      sumX += x;
    }
    boolean leftSide = sumX < (long) component.length * width / 2;
    boolean[] out = new boolean[width * height];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int i = y * width + x;
        if (!hull[i]) {
          continue;
        }
        boolean lungRow = to[y] >= 0;
        out[i] = !lungRow || (leftSide ? x <= to[y] : x >= from[y]);
      }
    }
    for (int p : component) {
      out[p] = true;
    }
    return out;
  }

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
