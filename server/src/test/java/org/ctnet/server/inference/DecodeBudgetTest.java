package org.ctnet.server.inference;

import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.junit.jupiter.api.Test;

/** Decodes are budgeted by the bytes their headers declare, not by pixels alone. */
class DecodeBudgetTest {
  private static byte[] png(int width, int height, int type) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(new BufferedImage(width, height, type), "png", out));
    return out.toByteArray();
  }

  @Test
  void theEstimateFollowsBandsAndBitDepthFromTheHeader() throws Exception {
    long grey8 = ImagePreprocessor.decodeBytes(png(300, 200, BufferedImage.TYPE_BYTE_GRAY));
    long grey16 = ImagePreprocessor.decodeBytes(png(300, 200, BufferedImage.TYPE_USHORT_GRAY));
    long argb = ImagePreprocessor.decodeBytes(png(300, 200, BufferedImage.TYPE_INT_ARGB));
    assertEquals(300L * 200 * (1 + 4), grey8, "one byte per pixel plus the grey floats");
    assertEquals(300L * 200 * (2 + 4), grey16);
    assertEquals(300L * 200 * (4 + 4), argb);
  }

  @Test
  void aBurstBeyondTheBudgetWaitsThenGets503AndOneHugeImageGets413() {
    DecodeBudget budget = new DecodeBudget(10L << 20);
    ServingException tooLarge = assertThrows(ServingException.class, () -> budget.acquire(11L << 20));
    assertEquals(Problem.TOO_LARGE, tooLarge.problem());
    try (DecodeBudget.Permit first = budget.acquire(6L << 20)) {
      ServingException busy = assertThrows(ServingException.class, () -> budget.acquire(6L << 20));
      assertEquals(Problem.UNAVAILABLE, busy.problem());
      try (DecodeBudget.Permit fits = budget.acquire(4L << 20)) {
        assertNotNull(fits);
      }
    }
    try (DecodeBudget.Permit again = budget.acquire(10L << 20)) {
      assertNotNull(again, "every permit was given back");
    }
  }
}
