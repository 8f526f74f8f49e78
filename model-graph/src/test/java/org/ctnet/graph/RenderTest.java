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

  /** The PNG writer against ImageIO's reader, pixel by pixel: RGB and RGBA, smooth and noisy, odd sizes. */
  @Test
  void pngsDecodeToExactlyThePixelsWritten() throws Exception {
    java.util.Random random = new java.util.Random(9);
    for (int type : new int[] {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB}) {
      for (int[] size : new int[][] {{1, 1}, {224, 224}, {37, 5}, {3, 61}}) {
        BufferedImage image = new BufferedImage(size[0], size[1], type);
        for (int y = 0; y < size[1]; y++) {
          for (int x = 0; x < size[0]; x++) {
            int smooth = (x * 7 + y * 3) & 0xff;
            int argb = (random.nextInt(256) << 24) | (smooth << 16) | (random.nextInt(256) << 8) | ((smooth + y) & 0xff);
            image.setRGB(x, y, type == BufferedImage.TYPE_INT_ARGB ? argb : argb | 0xff000000);
          }
        }
        BufferedImage read = ImageIO.read(new ByteArrayInputStream(org.ctnet.graph.render.PngWriter.encode(image)));
        assertEquals(size[0], read.getWidth());
        assertEquals(size[1], read.getHeight());
        assertEquals(type == BufferedImage.TYPE_INT_ARGB, read.getColorModel().hasAlpha());
        for (int y = 0; y < size[1]; y++) {
          for (int x = 0; x < size[0]; x++) {
            assertEquals(image.getRGB(x, y), read.getRGB(x, y), "pixel " + x + "," + y + " of " + size[0] + "x" + size[1]);
          }
        }
      }
    }
  }
}
