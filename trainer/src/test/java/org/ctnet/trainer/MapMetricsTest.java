package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import org.ctnet.trainer.explain.MapMetrics;
import org.junit.jupiter.api.Test;

/** Map-vs-mask metrics on tiny hand-computed cases (3×3 maps). */
class MapMetricsTest {
  // mask: the left column
  private static final boolean[] MASK = {true, false, false, true, false, false, true, false, false};

  @Test
  void pointingGame() {
    assertEquals(1, MapMetrics.pointingGame(new float[] {0, 0, 0, 0.9f, 0, 0, 0, 0, 0}, MASK));
    assertEquals(0, MapMetrics.pointingGame(new float[] {0, 0, 0, 0, 0.9f, 0, 0, 0, 0}, MASK));
  }

  @Test
  void energyInMaskCountsOnlyPositiveMass() {
    float[] heat = {1, 1, 0, 1, -5, 0, 0, 0, 1};
    // inside: 1 + 1 = 2; total positive: 4
    assertEquals(0.5, MapMetrics.energyInMask(heat, MASK), 1e-12);
    assertTrue(Double.isNaN(MapMetrics.energyInMask(new float[9], MASK)));
  }

  @Test
  void topRegionIouAndDice() {
    float[] heat = {0.9f, 0.8f, 0, 0.7f, 0, 0, 0, 0, 0};
    boolean[] top = MapMetrics.topRegion(heat, 3.0 / 9);
    assertArrayEquals(new boolean[] {true, true, false, true, false, false, false, false, false}, top);
    // intersection {0, 3} = 2, union {0, 1, 3, 6} = 4
    assertEquals(0.5, MapMetrics.iou(top, MASK), 1e-12);
    assertEquals(2.0 * 2 / 6, MapMetrics.dice(top, MASK), 1e-12);
  }

  @Test
  void pixelAurocAndBaselines() {
    float[] perfect = {1, 0, 0, 1, 0, 0, 1, 0, 0};
    assertEquals(1.0, MapMetrics.pixelAuroc(perfect, MASK), 1e-12);
    assertEquals(0.5, MapMetrics.pixelAuroc(new float[9], MASK), 1e-12);
    float[] g = MapMetrics.centreGaussian(5, 5);
    assertEquals(1.0, g[12], 1e-6);
    assertTrue(g[0] < g[6] && g[6] < g[12]);
    assertArrayEquals(MapMetrics.randomMap(4, 4, 3), MapMetrics.randomMap(4, 4, 3));
    assertEquals(1.0 / 3, MapMetrics.areaFraction(MASK), 1e-12);
  }
}
