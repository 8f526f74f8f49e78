package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;
import org.ctnet.graph.spec.StemSpec;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.junit.jupiter.api.Test;

/**
 * The stem's input pooling: a model that takes 2s×2s images and pools them 2×2 must be the same
 * function as the same network fed s×s images of the 2×2 block means (computed here in Java), while
 * its interface (input tensor, heatmaps) stays at the full size.
 */
class InputPoolTest {
  private static NetworkSpec withPool(NetworkSpec spec, int side, int pool) {
    StemSpec s = spec.stem();
    return new NetworkSpec(spec.name(), side, side, 1,
        new StemSpec(s.filters(), s.kernelSize(), s.stride(), s.maxPool(), pool), spec.stages(), spec.head(),
        spec.numClasses(), spec.dropout(), spec.weightDecay(), spec.batchNormMomentum(), spec.batchNormEpsilon(),
        spec.camLayer(), spec.seed());
  }

  private static float[] blockMeans(float[] images, int n, int side) {
    int half = side / 2;
    float[] out = new float[n * half * half];
    for (int i = 0; i < n; i++) {
      for (int y = 0; y < half; y++) {
        for (int x = 0; x < half; x++) {
          int base = i * side * side;
          double sum = images[base + 2 * y * side + 2 * x] + images[base + 2 * y * side + 2 * x + 1]
              + images[base + (2 * y + 1) * side + 2 * x] + images[base + (2 * y + 1) * side + 2 * x + 1];
          out[i * half * half + y * half + x] = (float) (sum / 4);
        }
      }
    }
    return out;
  }

  @Test
  void pooledModelIsTheHalfSizeNetworkOnBlockMeans() {
    NetworkSpec tiny = TestModels.tinySpec();
    int side = 2 * tiny.inputHeight();
    int n = 3;
    float[] images = new float[n * side * side];
    Random random = new Random(7);
    for (int i = 0; i < images.length; i++) {
      images[i] = random.nextFloat();
    }
    TrainingSpec training = TrainingSpec.defaults(OptimizerKind.ADAM);
    try (ModelSession pooled = TestModels.create(withPool(tiny, side, 2), training);
        ModelSession half = TestModels.create(tiny, training)) {
      float[][] viaPool = pooled.predict(images, n).probabilities();
      float[][] viaMeans = half.predict(blockMeans(images, n, side), n).probabilities();
      for (int i = 0; i < n; i++) {
        assertArrayEquals(viaMeans[i], viaPool[i], 1e-5f, "image " + i);
      }
      Explanation explanation = pooled.explain(images, n, new int[] {1, 1, 1});
      for (CamMethod method : pooled.camMethods()) {
        Explanation.Maps maps = explanation.maps().get(method);
        assertEquals(side, maps.height(), method + ": heatmaps come back at the input size");
        assertEquals(side * side, maps.heatmap()[0].length, method.toString());
      }
      int[] grid = half.modelGraph().spec().featureSize(half.modelGraph().spec().effectiveCamLayer());
      assertEquals(grid[0], explanation.maps().get(CamMethod.GRAD_CAM_PLUS_PLUS).camHeight(),
          "the CAM grid is the half-size network's");
    }
  }

  @Test
  void specsWithoutThePoolReadAsUnpooled() {
    String json = SpecJson.toJson(TestModels.tinySpec()).replaceAll(",\\s*\"inputPool\" : 1", "");
    assertFalse(json.contains("inputPool"), json);
    NetworkSpec read = SpecJson.fromJson(json);
    assertEquals(1, read.stem().inputPool());
    assertEquals(TestModels.tinySpec(), read);
  }

  @Test
  void poolCountsInTheFeatureSizesAndIsValidated() {
    NetworkSpec pooled = withPool(TestModels.tinySpec(), 64, 2);
    assertArrayEquals(TestModels.tinySpec().featureSize("features"), pooled.featureSize("features"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SpecJson.fromJson(SpecJson.toJson(pooled).replace("\"inputPool\" : 2", "\"inputPool\" : -2")));
    assertEquals("stem.inputPool must be > 0, got -2", e.getMessage());
  }
}
