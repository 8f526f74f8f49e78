package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.Occlusion;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.ctnet.graph.runtime.Prediction;

/** On a model whose answer depends on the blob, covering the blob costs the most probability. */
class OcclusionTest {
  @Test
  void maximumDropSitsOnTheBlobForBothScores() {
    try (ModelSession model = TestModels.trainedOnBlobs(1000, 5)) {
      SyntheticImages.Batch images = SyntheticImages.blobs(20, 32, 555);
      for (Occlusion.Score score : Occlusion.Score.values()) {
        assertBlobFound(model, images, score);
      }
    }
  }

  private static void assertBlobFound(ModelSession model, SyntheticImages.Batch images, Occlusion.Score score) {
    int hits = 0;
    int positives = 0;
    int[] calls = {0};
    for (int i = 1; i < 20; i += 2) {
      positives++;
      Occlusion.Result r = Occlusion.run(model, images.image(i), 1, new Occlusion.Settings(8, 2, 0f, 64, score),
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
    assertTrue(hits >= 8, score + ": occlusion maximum on the blob for " + hits + " of " + positives);
    assertEquals(positives * 3, calls[0], "169 windows in batches of 64: 3 session runs per image");
  }

  @Test
  void logOddsAreTheLogOfTheProbabilityRatio() {
    // three classes: log(p / (1 - p)) from the softmax probabilities, computed independently
    float[] logits = {0.3f, 2.5f, -1.2f};
    double[] e = {Math.exp(0.3), Math.exp(2.5), Math.exp(-1.2)};
    double total = e[0] + e[1] + e[2];
    Prediction p = new Prediction(new float[][] {{(float) (e[0] / total), (float) (e[1] / total), (float) (e[2] / total)}},
        new float[][] {logits});
    for (int c = 0; c < 3; c++) {
      double prob = e[c] / total;
      assertEquals(Math.log(prob / (1 - prob)), Occlusion.Score.LOG_ODDS.of(p, 0, c), 1e-5);
      assertEquals(prob, Occlusion.Score.PROBABILITY.of(p, 0, c), 1e-6);
    }
    // a saturated model: the probability no longer moves, the log-odds still do
    Prediction sure = new Prediction(new float[][] {{0f, 1f}, {0f, 1f}}, new float[][] {{-9f, 9f}, {-7f, 7f}});
    assertEquals(0, Occlusion.Score.PROBABILITY.of(sure, 0, 1) - Occlusion.Score.PROBABILITY.of(sure, 1, 1));
    assertEquals(4, Occlusion.Score.LOG_ODDS.of(sure, 0, 1) - Occlusion.Score.LOG_ODDS.of(sure, 1, 1), 1e-5);
  }

  @Test
  void badSettingsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new Occlusion.Settings(8, 4, 0f, 1, null));
    assertThrows(IllegalArgumentException.class, () -> new Occlusion.Settings(0, 1, 0, 1, Occlusion.Score.LOG_ODDS));
    assertThrows(IllegalArgumentException.class, () -> new Occlusion.Settings(8, 4, 2f, 1, Occlusion.Score.LOG_ODDS));
  }
}
