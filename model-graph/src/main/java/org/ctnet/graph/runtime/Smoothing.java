package org.ctnet.graph.runtime;

import java.util.EnumMap;
import java.util.Map;
import org.ctnet.graph.cam.CamMethod;

/**
 * Test-time smoothing of explanations: explain the image and its horizontal mirror in one session
 * run, mirror the second map back and average, then renormalise per image. The class explained in
 * both halves is the one asked for, or the prediction on the original image (one forward pass
 * first, only when a class is left to the model).
 */
public final class Smoothing {
  private Smoothing() {}

  public static Explanation flipAveraged(Predictor model, float[] images, int n, int[] classIndex) {
    int h = model.spec().inputHeight();
    int w = model.spec().inputWidth();
    int c = model.spec().inputChannels();
    int pixels = h * w * c;
    int[] target = resolvedClasses(model, images, n, classIndex);
    float[] both = new float[2 * n * pixels];
    System.arraycopy(images, 0, both, 0, n * pixels);
    for (int i = 0; i < n; i++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int k = 0; k < c; k++) {
            both[(n + i) * pixels + (y * w + (w - 1 - x)) * c + k] = images[i * pixels + (y * w + x) * c + k];
          }
        }
      }
    }
    int[] classes = new int[2 * n];
    System.arraycopy(target, 0, classes, 0, n);
    System.arraycopy(target, 0, classes, n, n);
    Explanation e = model.explain(both, 2 * n, classes);
    Map<CamMethod, Explanation.Maps> maps = new EnumMap<>(CamMethod.class);
    for (var entry : e.maps().entrySet()) {
      Explanation.Maps m = entry.getValue();
      float[][] heat = new float[n][];
      float[][] cam = new float[n][];
      boolean[] evidence = new boolean[n];
      for (int i = 0; i < n; i++) {
        heat[i] = average(m.heatmap()[i], m.heatmap()[n + i], m.height(), m.width());
        cam[i] = average(m.cam()[i], m.cam()[n + i], m.camHeight(), m.camWidth());
        evidence[i] = m.hasEvidence()[i] || m.hasEvidence()[n + i];
      }
      maps.put(entry.getKey(), new Explanation.Maps(cam, m.camHeight(), m.camWidth(), heat, m.height(), m.width(), evidence));
    }
    return new Explanation(e.prediction().rows(0, n), target, maps);
  }

  /**
   * The requested classes, with -1 replaced by the class predicted on the original image (the
   * mirror must explain the same class), found by a plain forward pass only when needed.
   */
  private static int[] resolvedClasses(Predictor model, float[] images, int n, int[] classIndex) {
    if (classIndex.length != n) {
      throw new IllegalArgumentException("need one class index per image: " + n + ", got " + classIndex.length);
    }
    int[] target = classIndex.clone();
    if (java.util.Arrays.stream(target).allMatch(k -> k >= 0)) {
      return target;
    }
    float[][] logits = model.predict(images, n).logits();
    for (int i = 0; i < n; i++) {
      if (target[i] < 0) {
        int best = 0; // the graph's rule: argmax of the logits, first on ties
        for (int k = 1; k < logits[i].length; k++) {
          if (logits[i][k] > logits[i][best]) {
            best = k;
          }
        }
        target[i] = best;
      }
    }
    return target;
  }

  /** (a + mirror(b)) / 2, divided by its maximum. */
  static float[] average(float[] a, float[] mirrored, int h, int w) {
    float[] out = new float[a.length];
    float max = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        float v = (a[y * w + x] + mirrored[y * w + (w - 1 - x)]) / 2;
        out[y * w + x] = v;
        max = Math.max(max, v);
      }
    }
    if (max > 0) {
      for (int i = 0; i < out.length; i++) {
        out[i] /= max;
      }
    }
    return out;
  }
}
