package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.check.OutOfDistribution;
import org.ctnet.graph.check.OutOfDistribution.Score;
import org.ctnet.graph.runtime.LesionMaps;
import org.ctnet.graph.runtime.Prediction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The out-of-distribution scores against their formulas, the fitted threshold, and the flag's asset. */
class OutOfDistributionTest {
  @TempDir Path dir;

  @Test
  void scoresFollowTheirDefinitions() {
    float[][] logits = {{2f, -1f}, {0.1f, 0.2f}};
    float[][] probs = {{0.9526f, 0.0474f}, {0.475f, 0.525f}};
    LesionMaps lesion = new LesionMaps(new float[2][4], new float[2][4], new float[] {0.0f, 0.10f}, new int[2], 2, 2);
    Prediction p = new Prediction(probs, logits, lesion);
    assertEquals(-Math.log(Math.exp(2) + Math.exp(-1)), Score.ENERGY.of(p, 0, 1), 1e-9);
    assertEquals(-Math.log(Math.exp(0.1) + Math.exp(0.2)), Score.ENERGY.of(p, 1, 1), 1e-6);
    // A COVID probability the lesion map does not back: 0.0474 with no involvement; 0.525 with 10% (full evidence).
    assertEquals(0.0474, Score.LESION_DISAGREEMENT.of(p, 0, 1), 1e-6);
    assertEquals(0.0, Score.LESION_DISAGREEMENT.of(p, 1, 1), 1e-9);
    assertEquals(1 - 0.9526, Score.LOW_CONFIDENCE.of(p, 0, 1), 1e-6);
    assertFalse(Score.LESION_DISAGREEMENT.available(new Prediction(probs, logits)), "needs a lesion head");
    // energy is stable where exp would overflow
    assertEquals(-1000.0, OutOfDistribution.energy(new float[] {1000f, -1000f}), 1e-9);
  }

  @Test
  void theThresholdFlagsTheStatedShareAndTheAssetRoundTrips() throws Exception {
    double[] scores = new double[200];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = i; // 0..199
    }
    double t = OutOfDistribution.threshold(scores, 0.02);
    assertEquals(195.0, t, "4 of 200 lie above it");
    var c = new OutOfDistribution.Calibration("energy", -0.5, 0.02, 200, "test", Map.of("energy", -0.5));
    c.write(dir);
    assertEquals(c, OutOfDistribution.Calibration.read(dir).orElseThrow());
    Prediction p = new Prediction(new float[][] {{0.5f, 0.5f}, {0.9f, 0.1f}}, new float[][] {{-3f, -3f}, {3f, 0f}});
    assertTrue(c.flags(p, 0, 1), "energy 2.3 > -0.5");
    assertFalse(c.flags(p, 1, 1), "energy -3.05 < -0.5");
    InputCheck.Result ok = new InputCheck.Result(java.util.List.of(), 0.3, 0, 0.2, 0.5);
    assertEquals("out_of_distribution", ok.withOutOfDistribution(true).code());
    assertEquals("ok", ok.withOutOfDistribution(false).code());
  }
}
