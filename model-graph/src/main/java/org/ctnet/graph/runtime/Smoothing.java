package org.ctnet.graph.runtime;

import java.util.EnumMap;
import java.util.Map;
import org.ctnet.graph.cam.CamMethod;

/**
 * Test-time smoothing of explanations: explain the image and its horizontal mirror in one session
 * run, mirror the second map back and average, then renormalise per image. The class explained in
 * both halves is the one asked for, or the prediction on the original image.
 */
public final class Smoothing {
  private Smoothing() {}

  public static Explanation flipAveraged(ModelSession model, float[] images, int n, int[] classIndex) {
    int h = model.spec().inputHeight();
    int w = model.spec().inputWidth();
    int c = model.spec().inputChannels();
    int pixels = h * w * c;
    Explanation plain = model.explain(images, n, classIndex);
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
    for (int i = 0; i < n; i++) {
      classes[i] = plain.targetClass()[i];
      classes[n + i] = plain.targetClass()[i];
    }
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
    float[][] probs = new float[n][];
    float[][] logits = new float[n][];
    for (int i = 0; i < n; i++) {
      probs[i] = e.prediction().probabilities()[i];
      logits[i] = e.prediction().logits()[i];
    }
    return new Explanation(new Prediction(probs, logits), plain.targetClass(), maps);
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
