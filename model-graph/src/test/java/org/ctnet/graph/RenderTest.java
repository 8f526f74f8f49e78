package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import javax.imageio.ImageIO;
import org.ctnet.graph.render.HeatmapRenderer;
import org.junit.jupiter.api.Test;

/** Overlays fade in with the heat: no hard edge between a pixel of heat 0 and one of heat 0+ε. */
class RenderTest {
  @Test
  void theColourWeightRisesContinuouslyFromZeroHeat() throws Exception {
    int w = 64;
    float[] grey = new float[w];
    float[] heat = new float[w];
    java.util.Arrays.fill(grey, 0.5f);
    for (int x = 0; x < w; x++) {
      heat[x] = x / (float) (w - 1);
    }
    BufferedImage overlay = ImageIO.read(new ByteArrayInputStream(HeatmapRenderer.png(grey, heat, w, 1, 0.6)));
    int plain = Math.round(0.5f * 255);
    assertEquals((plain << 16) | (plain << 8) | plain, overlay.getRGB(0, 0) & 0xffffff, "heat 0: the plain grey");
    for (int x = 1; x < w; x++) {
      int previous = overlay.getRGB(x - 1, 0);
      int current = overlay.getRGB(x, 0);
      for (int shift : new int[] {16, 8, 0}) {
        int step = Math.abs(((current >> shift) & 0xff) - ((previous >> shift) & 0xff));
        assertTrue(step <= 24, "a jump of " + step + " between heat " + heat[x - 1] + " and " + heat[x]);
      }
    }
    assertEquals(0.0, HeatmapRenderer.alpha(0, 0.6), 1e-12);
    assertEquals(0.6 * 0.01 / HeatmapRenderer.FULL_COLOUR_HEAT, HeatmapRenderer.alpha(0.01, 0.6), 1e-12);
    assertEquals(0.6, HeatmapRenderer.alpha(0.5, 0.6), 1e-12);
    BufferedImage heatOnly = ImageIO.read(new ByteArrayInputStream(HeatmapRenderer.heatPng(heat, w, 1)));
    assertEquals(0, heatOnly.getRGB(0, 0) >>> 24, "no heat, fully transparent");
    assertEquals(255, heatOnly.getRGB(w - 1, 0) >>> 24);
  }
}
