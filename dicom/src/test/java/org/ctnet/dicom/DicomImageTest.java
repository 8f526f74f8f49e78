package org.ctnet.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The table-driven windowing and value counts against the per-pixel formulas they replaced. */
class DicomImageTest {
  private static DicomImage image(int[] values, double slope, double intercept) {
    return new DicomImage(1, values.length, new int[][] {values}, slope, intercept, "MONOCHROME2", "CT", null);
  }

  @Test
  void windowingThroughATableEqualsThePerPixelFormula() {
    Random random = new Random(7);
    for (double[] rescale : new double[][] {{1, -1024}, {0.5, -1000.25}, {2.5, 3}, {-1, 100}}) {
      int[] values = new int[20_000];
      for (int i = 0; i < values.length; i++) {
        values[i] = random.nextInt(6144) - 2048;
      }
      DicomImage image = image(values, rescale[0], rescale[1]);
      for (double[] window : new double[][] {{-600, 1500}, {40, 400}, {-1000, 1}}) {
        float[] expected = new float[values.length];
        double low = window[0] - window[1] / 2;
        for (int i = 0; i < values.length; i++) {
          double v = (values[i] * rescale[0] + rescale[1] - low) / window[1] * 255.0;
          expected[i] = (float) Math.round(Math.max(0, Math.min(255, v)));
        }
        assertArrayEquals(expected, image.windowed(0, window[0], window[1]));
      }
      long air = 0;
      for (int v : values) {
        double hu = v * rescale[0] + rescale[1];
        air += hu >= -1100 && hu <= -900 ? 1 : 0;
      }
      DicomImage.ValueCounts counts = image.valueCounts(0);
      assertEquals(air, counts.count(v -> image.hounsfieldOf(v) >= -1100 && image.hounsfieldOf(v) <= -900));
      assertEquals(values.length, counts.total());
    }
  }

  @Test
  void anEmptyFrameHasNoCounts() {
    assertEquals(0, image(new int[0], 1, 0).valueCounts(0).total());
    assertEquals(0, image(new int[0], 1, 0).windowed(0, 40, 400).length);
  }
}
