package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Random;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.preprocess.GreyImage;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.TensorIo;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** The in-graph CAM methods against plain-Java references on fed activations. */
class CamTest {
  private static ModelSession model;
  private static final int N = 3;

  @BeforeAll
  static void train() {
    model = TestModels.trainedOnBlobs(40, 3);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private record Fetched(float[] a, float[] g, float[] logits, float[][] cams, float[][] heatmaps, int h, int w, int c) {}

  /** Feeds activations A at the CAM layer and fetches g, logits and every method's maps. */
  private static Fetched run(float[] activations, int[] classIndex) {
    ModelGraph g = model.modelGraph();
    Operand<TFloat32> layer = g.inferenceFeatures().get(g.spec().effectiveCamLayer());
    int h = (int) layer.shape().get(1);
    int w = (int) layer.shape().get(2);
    int c = (int) layer.shape().get(3);
    SyntheticImages.Batch images = SyntheticImages.blobs(N, 32, 99);
    CamMethod[] methods = model.camMethods().toArray(new CamMethod[0]);
    try (TFloat32 a = TensorIo.floats(activations, N, h, w, c);
        TFloat32 img = TensorIo.floats(images.pixels(), N, 32, 32, 1);
        TInt32 cls = TensorIo.ints(classIndex)) {
      var runner = model.session().runner().feed(g.images(), img).feed(layer, a).feed(g.classIndex(), cls)
          .fetch(g.cam().gradients()).fetch(g.logits());
      for (CamMethod m : methods) {
        runner.fetch(g.cam().outputs().get(m).cam()).fetch(g.cam().outputs().get(m).heatmap());
      }
      try (Result r = runner.run()) {
        float[][] cams = new float[methods.length][];
        float[][] heat = new float[methods.length][];
        for (int k = 0; k < methods.length; k++) {
          cams[k] = TensorIo.readFloats(r.get(2 + 2 * k));
          heat[k] = TensorIo.readFloats(r.get(3 + 2 * k));
        }
        return new Fetched(activations, TensorIo.readFloats(r.get(0)), TensorIo.readFloats(r.get(1)), cams, heat, h, w, c);
      }
    }
  }

  private static float[] realActivations() {
    ModelGraph g = model.modelGraph();
    Operand<TFloat32> layer = g.inferenceFeatures().get(g.spec().effectiveCamLayer());
    SyntheticImages.Batch images = SyntheticImages.blobs(N, 32, 99);
    try (TFloat32 img = TensorIo.floats(images.pixels(), N, 32, 32, 1);
        Result r = model.session().runner().feed(g.images(), img).fetch(layer).run()) {
      return TensorIo.readFloats(r.get(0));
    }
  }

  /** Reference: raw map [n][h*w] = ReLU(Σ_k contribution). */
  static double[][] reference(CamMethod method, Fetched f) {
    double[][] maps = new double[N][f.h * f.w];
    int hw = f.h * f.w;
    for (int n = 0; n < N; n++) {
      double[] weights = new double[f.c];
      for (int k = 0; k < f.c; k++) {
        double sumG = 0;
        double sumA = 0;
        for (int p = 0; p < hw; p++) {
          sumG += f.g[(n * hw + p) * f.c + k];
          sumA += f.a[(n * hw + p) * f.c + k];
        }
        if (method == CamMethod.HIRES_CAM || method == CamMethod.LAYER_CAM) {
          weights[k] = Double.NaN; // element-wise methods: no channel weight
        } else if (method == CamMethod.XGRAD_CAM) {
          double sumAG = 0;
          for (int p = 0; p < hw; p++) {
            sumAG += (double) f.a[(n * hw + p) * f.c + k] * f.g[(n * hw + p) * f.c + k];
          }
          weights[k] = sumA == 0 ? 0 : sumAG / sumA;
        } else if (method == CamMethod.GRAD_CAM) {
          weights[k] = sumG / hw;
        } else {
          // Same float arithmetic as the graph, op by op: alpha's denominator can nearly cancel.
          float sumAf = (float) sumA;
          double w = 0;
          for (int p = 0; p < hw; p++) {
            float g = f.g[(n * hw + p) * f.c + k];
            float g2 = g * g;
            float g3 = g2 * g;
            float denominator = 2f * g2 + sumAf * g3;
            float alpha = denominator == 0f ? 0f : g2 / denominator;
            w += alpha * Math.max(g, 0f);
          }
          weights[k] = w;
        }
      }
      for (int p = 0; p < hw; p++) {
        double s = 0;
        for (int k = 0; k < f.c; k++) {
          double a = f.a[(n * hw + p) * f.c + k];
          double g = f.g[(n * hw + p) * f.c + k];
          if (method == CamMethod.HIRES_CAM) {
            s += g * a;
          } else if (method == CamMethod.LAYER_CAM) {
            s += Math.max(g, 0) * a;
          } else {
            s += weights[k] * a;
          }
        }
        maps[n][p] = Math.max(s, 0);
      }
    }
    return maps;
  }

  /** Reference for the soft-mask map: channel mean of M minus its per-image minimum. */
  private static double[][] attentionReference(Fetched f) {
    ModelGraph g = model.modelGraph();
    Operand<TFloat32> mask = g.softMasks().values().iterator().next();
    SyntheticImages.Batch images = SyntheticImages.blobs(N, 32, 99);
    int h = (int) mask.shape().get(1);
    int w = (int) mask.shape().get(2);
    int c = (int) mask.shape().get(3);
    float[] m;
    try (TFloat32 img = TensorIo.floats(images.pixels(), N, 32, 32, 1);
        Result r = model.session().runner().feed(g.images(), img).fetch(mask).run()) {
      m = TensorIo.readFloats(r.get(0));
    }
    double[][] out = new double[N][h * w];
    for (int n = 0; n < N; n++) {
      double min = Double.MAX_VALUE;
      for (int p = 0; p < h * w; p++) {
        double s = 0;
        for (int k = 0; k < c; k++) {
          s += m[(n * h * w + p) * c + k];
        }
        out[n][p] = s / c;
        min = Math.min(min, out[n][p]);
      }
      for (int p = 0; p < h * w; p++) {
        out[n][p] -= min;
      }
    }
    return out;
  }

  private static void assertNormalisedEquals(double[] expectedRaw, float[] actual, int offset, String what) {
    double max = 0;
    for (double v : expectedRaw) {
      max = Math.max(max, v);
    }
    for (int p = 0; p < expectedRaw.length; p++) {
      double expected = max > 0 ? expectedRaw[p] / max : 0;
      assertEquals(expected, actual[offset + p], 1e-5, what + " at " + p);
    }
  }

  @Test
  void methodsMatchPlainJavaReferenceOnFedActivations() {
    Fetched f = run(realActivations(), new int[] {-1, 1, 0});
    CamMethod[] methods = model.camMethods().toArray(new CamMethod[0]);
    assertEquals(CamMethod.values().length, methods.length, "tiny has an attention module: every method");
    for (int k = 0; k < methods.length; k++) {
      double[][] ref = methods[k] == CamMethod.ATTENTION ? attentionReference(f) : reference(methods[k], f);
      int mh = f.h;
      int mw = f.w;
      if (methods[k] == CamMethod.ATTENTION) {
        Operand<TFloat32> mask = model.modelGraph().softMasks().values().iterator().next();
        mh = (int) mask.shape().get(1);
        mw = (int) mask.shape().get(2);
      }
      for (int n = 0; n < N; n++) {
        assertNormalisedEquals(ref[n], f.cams[k], n * mh * mw, methods[k] + " cam image " + n);
        float[] raw = new float[mh * mw];
        for (int p = 0; p < raw.length; p++) {
          raw[p] = (float) ref[n][p];
        }
        float[] up = ImagePreprocessor.resizeBilinear(new GreyImage(mw, mh, raw), 32, 32);
        double[] upD = new double[up.length];
        for (int p = 0; p < up.length; p++) {
          upD[p] = up[p];
        }
        assertNormalisedEquals(upD, f.heatmaps[k], n * 32 * 32, methods[k] + " heatmap image " + n);
      }
    }
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    float[] a = realActivations();
    int[] target = {1, 1, 1};
    Fetched base = run(a, target);
    Random random = new Random(5);
    float h = 1e-2f;
    int checked = 0;
    for (int trial = 0; trial < 12; trial++) {
      int idx = random.nextInt(a.length);
      float[] plus = a.clone();
      float[] minus = a.clone();
      plus[idx] += h;
      minus[idx] -= h;
      double fd = (score(run(plus, target)) - score(run(minus, target))) / (2 * h);
      assertEquals(fd, base.g[idx], 2e-3 + 1e-2 * Math.abs(fd), "dS/dA at " + idx);
      checked++;
    }
    assertEquals(12, checked);
  }

  private static double score(Fetched f) {
    double s = 0;
    for (int n = 0; n < N; n++) {
      s += f.logits[n * 2 + 1];
    }
    return s;
  }

  @Test
  void zeroActivationsGiveAnExplicitNoEvidenceFlagNotNaN() {
    ModelGraph g = model.modelGraph();
    Operand<TFloat32> layer = g.inferenceFeatures().get(g.spec().effectiveCamLayer());
    float[] zeros = new float[(int) (N * layer.shape().get(1) * layer.shape().get(2) * layer.shape().get(3))];
    Fetched f = run(zeros, new int[] {0, 1, -1});
    List<CamMethod> methods = model.camMethods();
    for (int k = 0; k < methods.size(); k++) {
      if (!methods.get(k).gradientBased()) {
        continue; // the soft mask does not depend on the fed activations
      }
      for (float v : f.heatmaps[k]) {
        assertEquals(0f, v, methods.get(k).toString());
      }
    }
    // Through the public API: a flat grey image may or may not have evidence, but never NaN.
    Explanation e = model.explain(new float[32 * 32], 1, new int[] {1});
    for (Explanation.Maps m : e.maps().values()) {
      for (float v : m.heatmap()[0]) {
        assertFalse(Float.isNaN(v));
      }
      if (!m.hasEvidence()[0]) {
        for (float v : m.heatmap()[0]) {
          assertEquals(0f, v);
        }
      }
    }
  }

  @Test
  void targetClassIsTheRequestedOrThePredictedOne() {
    SyntheticImages.Batch b = SyntheticImages.blobs(4, 32, 7);
    Explanation e = model.explain(b.pixels(), 4, new int[] {0, 1, -1, -1});
    assertEquals(0, e.targetClass()[0]);
    assertEquals(1, e.targetClass()[1]);
    for (int i = 2; i < 4; i++) {
      float[] p = e.prediction().probabilities()[i];
      assertEquals(p[1] > p[0] ? 1 : 0, e.targetClass()[i]);
    }
    var ex = assertThrows(IllegalArgumentException.class, () -> model.explain(b.pixels(), 4, new int[] {0, 2, 0, 0}));
    assertTrue(ex.getMessage().contains("got 2"));
  }
}
