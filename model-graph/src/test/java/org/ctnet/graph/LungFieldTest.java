package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.ctnet.graph.preprocess.LungField;
import org.junit.jupiter.api.Test;

/** The classic lung-field finder on drawn slices whose lungs are known. */
class LungFieldTest {
  private static final int SIZE = 224;

  /** A drawn axial slice: air outside, a body ellipse, two dark lungs, a heart, optional extras. */
  private static final class Slice {
    final float[] grey = new float[SIZE * SIZE];
    final boolean[] lungs = new boolean[SIZE * SIZE];

    Slice(double bodyRadiusX, double bodyRadiusY, boolean lesion, boolean text, long seed) {
      Random random = new Random(seed);
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          int i = y * SIZE + x;
          double v = 0.02;
          if (inEllipse(x, y, 112, 112, bodyRadiusX, bodyRadiusY)) {
            v = 0.6;
          }
          boolean left = inEllipse(x, y, 66, 110, 34, 62);
          boolean right = inEllipse(x, y, 158, 110, 34, 62);
          if (left || right) {
            v = 0.12;
            lungs[i] = true;
          }
          // A consolidation at the outer edge of the left lung: as dense as tissue, inside the lung.
          if (lesion && left && inEllipse(x, y, 34, 120, 14, 22)) {
            v = 0.55;
          }
          if (text && y >= 6 && y < 14 && x >= 6 && x < 60 && (x / 3) % 2 == 0) {
            v = 0.95; // burnt-in text in the corner, outside the body
          }
          grey[i] = (float) Math.max(0, Math.min(1, v + random.nextGaussian() * 0.02));
        }
      }
    }
  }

  private static boolean inEllipse(int x, int y, double cx, double cy, double rx, double ry) {
    double dx = (x - cx) / rx;
    double dy = (y - cy) / ry;
    return dx * dx + dy * dy <= 1;
  }

  private static double iou(boolean[] a, boolean[] b) {
    int both = 0;
    int either = 0;
    for (int i = 0; i < a.length; i++) {
      both += a[i] && b[i] ? 1 : 0;
      either += a[i] || b[i] ? 1 : 0;
    }
    return (double) both / either;
  }

  @Test
  void findsBothLungsAndTheirDenseLesionButNotTheAirOrTextAroundTheBody() {
    Slice s = new Slice(100, 90, true, true, 1);
    LungField field = LungField.find(s.grey, SIZE, SIZE);
    assertTrue(field.found());
    assertTrue(iou(field.mask(), s.lungs) > 0.85, "IoU " + iou(field.mask(), s.lungs));
    // The consolidation at the lung's edge is inside the field; the air corner and the text are not.
    assertTrue(field.mask()[120 * SIZE + 38], "consolidation");
    assertFalse(field.mask()[2 * SIZE + 2], "air outside the body");
    assertFalse(field.mask()[10 * SIZE + 30], "text");
    assertFalse(field.mask()[110 * SIZE + 112], "mediastinum");
  }

  @Test
  void findsLungsThatTouchTheBorderOfATightCrop() {
    // The body ellipse is larger than the image: the lungs reach the top and bottom edges.
    Slice s = new Slice(140, 130, false, false, 2);
    for (int y = 0; y < SIZE; y++) {
      for (int x = 0; x < SIZE; x++) {
        if (inEllipse(x, y, 66, 110, 34, 130) || inEllipse(x, y, 158, 110, 34, 130)) {
          s.grey[y * SIZE + x] = 0.12f;
          s.lungs[y * SIZE + x] = true;
        }
      }
    }
    LungField field = LungField.find(s.grey, SIZE, SIZE);
    assertTrue(field.found());
    assertTrue(iou(field.mask(), s.lungs) > 0.85, "IoU " + iou(field.mask(), s.lungs));
  }

  @Test
  void constrainingZeroesTheMapOutsideTheLungsAndRenormalises() {
    Slice s = new Slice(100, 90, false, false, 3);
    LungField field = LungField.find(s.grey, SIZE, SIZE);
    float[] heat = new float[SIZE * SIZE];
    heat[110 * SIZE + 112] = 1f; // mediastinum, the map's peak
    heat[110 * SIZE + 66] = 0.5f; // left lung
    float[] constrained = field.constrain(heat);
    assertEquals(0f, constrained[110 * SIZE + 112]);
    assertEquals(1f, constrained[110 * SIZE + 66]);
    // A map with nothing in the lungs stays all zero (no evidence there), not NaN.
    float[] outside = new float[SIZE * SIZE];
    outside[5] = 1f;
    for (float v : field.constrain(outside)) {
      assertEquals(0f, v);
    }
  }

  @Test
  void aSliceWithoutLungsConstrainsNothing() {
    float[] flat = new float[SIZE * SIZE];
    java.util.Arrays.fill(flat, 0.5f);
    LungField none = LungField.find(flat, SIZE, SIZE);
    assertFalse(none.found());
    assertEquals(1.0, none.areaFraction());
    float[] heat = new float[SIZE * SIZE];
    heat[7] = 0.3f;
    assertArrayEquals(heat, none.constrain(heat));
    // A soft-tissue body without air inside: no lungs either.
    Slice noAir = new Slice(100, 90, false, false, 4);
    for (int i = 0; i < noAir.grey.length; i++) {
      if (noAir.lungs[i]) {
        noAir.grey[i] = 0.6f;
      }
    }
    assertFalse(LungField.find(noAir.grey, SIZE, SIZE).found());
    assertThrows(IllegalArgumentException.class, () -> LungField.find(new float[10], SIZE, SIZE));
  }
}
