package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.Smoothing;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;

class SmoothingTest {
  private static float[] mirror(float[] img, int size) {
    float[] out = new float[img.length];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        out[y * size + (size - 1 - x)] = img[y * size + x];
      }
    }
    return out;
  }

  @Test
  void flipAveragedMapsAreMirrorEquivariant() {
    try (ModelSession model = TestModels.trainedOnBlobs(40, 9)) {
      float[] image = SyntheticImages.blobs(2, 32, 3).image(1);
      Explanation a = Smoothing.flipAveraged(model, image, 1, new int[] {1});
      Explanation b = Smoothing.flipAveraged(model, mirror(image, 32), 1, new int[] {1});
      for (CamMethod m : model.camMethods()) {
        float[] ha = a.maps().get(m).heatmap()[0];
        float[] hb = mirror(b.maps().get(m).heatmap()[0], 32);
        assertArrayEquals(ha, hb, 1e-4f, m.toString());
        float max = 0;
        for (float v : ha) {
          max = Math.max(max, v);
        }
        assertTrue(max == 0f || Math.abs(max - 1f) < 1e-6, "normalised: " + max);
      }
      // Left to the model (-1), both halves explain the class predicted on the original image, and
      // the scores reported are the original image's.
      for (int i = 0; i < 2; i++) {
        float[] img = SyntheticImages.blobs(2, 32, 3).image(i);
        Explanation p = Smoothing.flipAveraged(model, img, 1, new int[] {-1});
        Explanation plain = model.explain(img, 1, new int[] {-1});
        assertEquals(plain.targetClass()[0], p.targetClass()[0]);
        assertArrayEquals(plain.prediction().probabilities()[0], p.prediction().probabilities()[0], 1e-5f);
        Explanation asked = Smoothing.flipAveraged(model, img, 1, new int[] {plain.targetClass()[0]});
        for (CamMethod m : model.camMethods()) {
          assertArrayEquals(asked.maps().get(m).heatmap()[0], p.maps().get(m).heatmap()[0], 1e-5f, m.toString());
        }
      }
    }
  }
}
