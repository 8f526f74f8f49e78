package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.layers.BuildRecord.BatchStatistics;
import org.ctnet.graph.runtime.BatchNormAdaptation;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.TensorIo;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.tensorflow.Result;
import org.tensorflow.types.TFloat32;

/**
 * AdaBN on a shifted source (darker, lower-contrast images): the first batch norm's moving statistics
 * become exactly the new images' per-channel mean and variance (computed here in Java from the
 * layer's input over all images, while the adaptation saw them in batches of 4); weights stay.
 */
class BatchNormAdaptationTest {
  private static float[] shifted(float[] pixels) {
    float[] out = new float[pixels.length];
    for (int i = 0; i < pixels.length; i++) {
      out[i] = 0.5f * pixels[i] + 0.3f;
    }
    return out;
  }

  @Test
  void movingStatisticsBecomeTheNewSourcesStatisticsAndWeightsStay() {
    try (ModelSession model = TestModels.trainedOnBlobs(15, 3)) {
      SyntheticImages.Batch data = SyntheticImages.blobs(12, 32, 99);
      float[] images = shifted(data.pixels());
      int pixels = 32 * 32;
      ModelGraph g = model.modelGraph();
      BatchStatistics first = g.trainBatchStatistics().get(0);

      // Independent reference: the first batch norm's input (the stem's convolution, which no batch
      // statistic upstream influences) for all 12 images at once, moments in double precision.
      long channels = first.input().shape().get(3);
      double[] mean = new double[(int) channels];
      double[] squares = new double[(int) channels];
      try (TFloat32 in = TensorIo.floats(images, 12, 32, 32, 1);
          Result r = model.session().runner().feed(g.images(), in).fetch(first.input()).run()) {
        float[] x = TensorIo.readFloats(r.get(0));
        for (int i = 0; i < x.length; i++) {
          mean[(int) (i % channels)] += x[i];
          squares[(int) (i % channels)] += (double) x[i] * x[i];
        }
        long m = x.length / channels;
        for (int c = 0; c < channels; c++) {
          mean[c] /= m;
          squares[c] = squares[c] / m - mean[c] * mean[c];
        }
      }
      Map<String, float[]> before = model.variableValues();
      float[][] probabilitiesBefore = model.predict(images, 12).probabilities();

      List<float[]> batches = new ArrayList<>();
      for (int b = 0; b < 3; b++) {
        float[] batch = new float[4 * pixels];
        System.arraycopy(images, b * 4 * pixels, batch, 0, batch.length);
        batches.add(batch);
      }
      BatchNormAdaptation.Summary summary = BatchNormAdaptation.reestimate(model, batches);
      assertEquals(g.trainBatchStatistics().size(), summary.layers());
      assertEquals(12, summary.images());
      assertTrue(summary.meanShift() > 0, summary.toString());

      try (Result r = model.session().runner().fetch(first.movingMean()).fetch(first.movingVariance()).run()) {
        float[] movingMean = TensorIo.readFloats(r.get(0));
        float[] movingVariance = TensorIo.readFloats(r.get(1));
        for (int c = 0; c < channels; c++) {
          assertEquals(mean[c], movingMean[c], 1e-4 * (1 + Math.abs(mean[c])), "mean of channel " + c);
          assertEquals(squares[c], movingVariance[c], 1e-4 * squares[c] + 1e-7, "variance of channel " + c);
        }
      }
      Map<String, float[]> after = model.variableValues();
      int moved = 0;
      for (var e : before.entrySet()) {
        boolean statistic = e.getKey().endsWith("moving_mean") || e.getKey().endsWith("moving_variance");
        if (!statistic) {
          assertArrayEquals(e.getValue(), after.get(e.getKey()), e.getKey() + ": weights are not touched");
        } else if (!java.util.Arrays.equals(e.getValue(), after.get(e.getKey()))) {
          moved++;
        }
      }
      assertEquals(2 * summary.layers(), moved, "every re-estimated layer's mean and variance changed");
      float[][] probabilitiesAfter = model.predict(images, 12).probabilities();
      assertFalse(java.util.Arrays.deepEquals(probabilitiesBefore, probabilitiesAfter), "inference uses the new statistics");

      assertThrows(IllegalArgumentException.class, () -> BatchNormAdaptation.reestimate(model, List.of(new float[pixels])),
          "one image has no batch statistics");
    }
  }
}
