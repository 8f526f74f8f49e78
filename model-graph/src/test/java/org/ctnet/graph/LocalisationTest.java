package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;

/** A model trained to find bright blobs must point its Grad-CAM++ peak at the blob. */
class LocalisationTest {
  @Test
  void gradCamPlusPlusPeakFallsInsideTheBlob() {
    try (ModelSession model = TestModels.trainedOnBlobs(1000, 5)) {
      // 100 new positive images (odd indices of 200 are positives).
      SyntheticImages.Batch test = SyntheticImages.blobs(200, 32, 424242);
      int hits = 0;
      int positives = 0;
      for (int start = 0; start < 200; start += 20) {
        float[] pixels = new float[20 * 32 * 32];
        System.arraycopy(test.pixels(), start * 32 * 32, pixels, 0, pixels.length);
        int[] classes = new int[20];
        java.util.Arrays.fill(classes, 1);
        Explanation e = model.explain(pixels, 20, classes);
        Explanation.Maps maps = e.maps().get(CamMethod.GRAD_CAM_PLUS_PLUS);
        for (int i = 0; i < 20; i++) {
          int index = start + i;
          if (test.labels()[index] != 1) {
            continue;
          }
          positives++;
          float[] heat = maps.heatmap()[i];
          int best = 0;
          for (int p = 1; p < heat.length; p++) {
            if (heat[p] > heat[best]) {
              best = p;
            }
          }
          if (test.insideBlob(index, best % 32, best / 32)) {
            hits++;
          }
        }
      }
      assertEquals(100, positives);
      // Chance is the blob's share of the image (under 10%). The same seed gave 98 of 100 on one
      // machine and 88 on another (CPU kernels differ in their last bits, and 1000 steps amplify it).
      assertTrue(hits >= 80, "Grad-CAM++ peak inside the blob for " + hits + " of 100 images");
    }
  }
}
