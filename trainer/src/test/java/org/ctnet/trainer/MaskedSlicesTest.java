package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.trainer.data.MaskedSlices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Masks are data like images: every orientation fix turns image and mask alike, and bad masks are named. */
class MaskedSlicesTest {
  private static final int W = 24;
  private static final int H = 16;

  /** An upright test card: a bright bar along the bottom (the "spine") and a dot near the top right. */
  private static float[] upright() {
    float[] image = new float[W * H];
    for (int x = 0; x < W; x++) {
      image[(H - 2) * W + x] = 1f;
    }
    image[2 * W + (W - 3)] = 1f;
    return image;
  }

  private static float[] transpose(float[] image, int w, int h) {
    float[] out = new float[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        out[x * h + y] = image[y * w + x];
      }
    }
    return out;
  }

  private static float[] flip(float[] image, int w, int h) {
    float[] out = new float[w * h];
    for (int y = 0; y < h; y++) {
      System.arraycopy(image, (h - 1 - y) * w, out, y * w, w);
    }
    return out;
  }

  private static Path folder(Path dir, String fix, float[] stored, int w, int h, int maskW, int maskH, float maskLevel)
      throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("i.png"), SyntheticImages.png(stored, w, h));
    float[] mask = maskW == w && maskH == h ? stored.clone() : new float[maskW * maskH];
    for (int i = 0; i < mask.length; i++) {
      mask[i] *= maskLevel;
    }
    Files.write(dir.resolve("m.png"), SyntheticImages.png(mask, maskW, maskH));
    Files.writeString(dir.resolve("manifest.csv"), "image,mask,orientation_fix\ni.png,m.png," + fix + "\n");
    return dir;
  }

  @Test
  void everyFixBringsTheSliceUprightWithItsMask(@TempDir Path dir) throws IOException {
    float[] upright = upright();
    // Stored forms: what each fix undoes. transpose_flip = transpose, then flip top–bottom.
    float[] transposed = transpose(upright, W, H); // H wide, W high
    float[] transposedFlipped = transpose(flip(upright, W, H), W, H);
    ImagePreprocessor pre = new ImagePreprocessor(Preprocessing.forInput(H, W, 1), 1_000_000);
    for (var c : new Object[][] {{"none", upright, W, H}, {"transpose", transposed, H, W},
        {"transpose_flip", transposedFlipped, H, W}}) {
      String fix = (String) c[0];
      Path f = folder(dir.resolve(fix), fix, (float[]) c[1], (int) c[2], (int) c[3], (int) c[2], (int) c[3], 1f);
      MaskedSlices.ModelView view = MaskedSlices.read(MaskedSlices.read(f, true).get(0), pre);
      for (int k = 0; k < upright.length; k++) {
        assertEquals(upright[k], view.input()[k], 0.01f, fix + " pixel " + k);
        assertEquals(upright[k] > 0.5f, view.mask()[k], fix + " mask pixel " + k);
      }
    }
  }

  @Test
  void badManifestsAndMasksAreNamed(@TempDir Path dir) throws IOException {
    Path unknown = folder(dir.resolve("u"), "rotate", upright(), W, H, W, H, 1f);
    var e = assertThrows(IOException.class, () -> MaskedSlices.read(unknown, true));
    assertTrue(e.getMessage().contains("orientation_fix must be none, transpose, transpose_flip") && e.getMessage()
        .contains("'rotate'"), e.getMessage());
    ImagePreprocessor pre = new ImagePreprocessor(Preprocessing.forInput(H, W, 1), 1_000_000);
    Path small = folder(dir.resolve("s"), "none", upright(), W, H, W - 4, H, 1f);
    e = assertThrows(IOException.class, () -> MaskedSlices.read(MaskedSlices.read(small, true).get(0), pre));
    assertTrue(e.getMessage().contains("m.png is 20x16") && e.getMessage().contains("is 24x16"), e.getMessage());
    int before = MaskedSlices.nonBinaryMasks();
    Path grey = folder(dir.resolve("g"), "none", upright(), W, H, W, H, 0.6f);
    MaskedSlices.ModelView view = MaskedSlices.read(MaskedSlices.read(grey, true).get(0), pre);
    assertEquals(before + 1, MaskedSlices.nonBinaryMasks(), "a grey mask is reported");
    assertTrue(view.mask()[(H - 2) * W], "grey 153 > 127 counts as lesion");
  }
}
