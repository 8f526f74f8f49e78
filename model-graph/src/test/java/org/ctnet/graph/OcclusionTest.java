package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.Occlusion;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;

/** On a model whose answer depends on the blob, covering the blob costs the most probability. */
class OcclusionTest {
  @Test
  void maximumDropSitsOnTheBlob() {
    try (ModelSession model = TestModels.trainedOnBlobs(1000, 5)) {
      SyntheticImages.Batch images = SyntheticImages.blobs(20, 32, 555);
      int hits = 0;
      int positives = 0;
      int[] calls = {0};
      for (int i = 1; i < 20; i += 2) {
        positives++;
        Occlusion.Result r = Occlusion.run(model, images.image(i), 1, new Occlusion.Settings(8, 2, 0f, 64),
            done -> calls[0]++);
        assertEquals(169, r.windows(), "13 x 13 windows of 8 at stride 2 on 32 x 32");
        int best = 0;
        for (int p = 1; p < r.drop().length; p++) {
          if (r.drop()[p] > r.drop()[best]) {
            best = p;
          }
        }
        if (images.insideBlob(i, best % 32, best / 32)) {
          hits++;
        }
      }
      assertTrue(hits >= 8, "occlusion maximum on the blob for " + hits + " of " + positives);
      assertEquals(positives * 3, calls[0], "169 windows in batches of 64: 3 session runs per image");
    }
  }

  @Test
  void badSettingsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Occlusion.Settings(0, 1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Occlusion.Settings(8, 4, 2f, 1));
  }
}
