package org.ctnet.graph.preprocess;

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
    float threshold = Masks.otsu(grey, n);
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
    List<int[]> tissueRegions = Masks.components(tissue, width, height).stream()
        .filter(c -> c.length >= MIN_LUNG_AREA * n).toList();
    if (tissueRegions.isEmpty()) {
      return whole(width, height);
    }
    int[] allTissue = tissueRegions.stream().flatMapToInt(java.util.Arrays::stream).toArray();
    boolean[] thorax = Masks.convexHull(allTissue, width, height);
    // Lungs: large air regions enclosed by the thorax; one touching the border counts only when
    // most of it lies inside the thorax (a lung cut by a tight crop), not when it surrounds it.
    List<int[]> candidates = new ArrayList<>();
    for (int[] component : Masks.components(air, width, height)) {
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
      boolean[] hull = Masks.convexHull(component, width, height);
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
        region = Masks.erode(Masks.dilate(own, width, height, radius), width, height, radius);
        for (int p : component) {
          region[p] = true;
        }
      }
      for (int i = 0; i < n; i++) {
        closed[i] |= region[i] && thorax[i];
      }
    }
    boolean[] field = Masks.fillHoles(closed, width, height);
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
}
