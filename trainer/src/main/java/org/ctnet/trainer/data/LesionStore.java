package org.ctnet.trainer.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.ctnet.graph.preprocess.ImagePreprocessor;

/**
 * Masked slices decoded once for lesion supervision: model-input pixels, the mask on the same
 * pixels, and each mask's quality weight.
 */
public final class LesionStore {
  private final float[][] pixels;
  private final boolean[][] masks;
  private final float[] quality;
  private final int width;
  private final int height;
  private final int emptyMasks;

  private LesionStore(float[][] pixels, boolean[][] masks, float[] quality, int width, int height, int emptyMasks) {
    this.pixels = pixels;
    this.masks = masks;
    this.quality = quality;
    this.width = width;
    this.height = height;
    this.emptyMasks = emptyMasks;
  }

  /**
   * @param pseudoMaskWeight quality weight of model-generated masks (radiologist masks weigh 1)
   * @param keepEmpty keep slices whose mask is empty (a lesion head learns "no lesion here" from
   *     them; Grad-CAM guidance has nothing to point at and leaves them out)
   */
  public static LesionStore load(List<MaskedSlices.Slice> slices, ImagePreprocessor preprocessor,
      double pseudoMaskWeight, boolean keepEmpty, IntConsumer progress) throws IOException {
    int width = preprocessor.preprocessing().width();
    int height = preprocessor.preprocessing().height();
    List<float[]> pixels = new ArrayList<>();
    List<boolean[]> masks = new ArrayList<>();
    List<Float> quality = new ArrayList<>();
    int empty = 0;
    for (int i = 0; i < slices.size(); i++) {
      MaskedSlices.Slice slice = slices.get(i);
      MaskedSlices.ModelView view = MaskedSlices.read(slice, preprocessor);
      progress.accept(i + 1);
      boolean any = false;
      for (boolean b : view.mask()) {
        any |= b;
      }
      if (!any) {
        empty++;
        if (!keepEmpty) {
          continue;
        }
      }
      pixels.add(view.input());
      masks.add(view.mask());
      quality.add(slice.pseudoMask() ? (float) pseudoMaskWeight : 1f);
    }
    float[] q = new float[quality.size()];
    for (int i = 0; i < q.length; i++) {
      q[i] = quality.get(i);
    }
    return new LesionStore(pixels.toArray(new float[0][]), masks.toArray(new boolean[0][]), q, width, height, empty);
  }

  /** Slices whose mask is empty (left out unless kept). */
  public int emptyMasks() {
    return emptyMasks;
  }

  public int size() {
    return pixels.length;
  }

  public float[] pixels(int i) {
    return pixels[i];
  }

  /** The mask on the model-input pixels, as 0/1 values. */
  public float[] maskPixels(int i) {
    float[] out = new float[masks[i].length];
    for (int k = 0; k < out.length; k++) {
      out[k] = masks[i][k] ? 1f : 0f;
    }
    return out;
  }

  /** Covered share per cell of a rows × cols grid, row-major. */
  public float[] mask(int i, int[] grid) {
    return MaskedSlices.gridFractions(masks[i], width, height, grid[0], grid[1]);
  }

  public float quality(int i) {
    return quality[i];
  }
}
