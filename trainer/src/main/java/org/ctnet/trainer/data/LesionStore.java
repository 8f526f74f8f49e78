package org.ctnet.trainer.data;

import java.io.IOException;
import java.util.List;
import java.util.function.IntConsumer;
import org.ctnet.graph.preprocess.ImagePreprocessor;

/**
 * Masked slices decoded once for lesion guidance: model-input pixels, the mask as the covered
 * share of each cell of the explained layer's grid, and each mask's quality weight.
 */
public final class LesionStore {
  private final float[][] pixels;
  private final float[][] masks;
  private final float[] quality;

  private final int emptyMasks;

  private LesionStore(float[][] pixels, float[][] masks, float[] quality, int emptyMasks) {
    this.pixels = pixels;
    this.masks = masks;
    this.quality = quality;
    this.emptyMasks = emptyMasks;
  }

  /**
   * @param grid rows and columns of the explained layer
   * @param pseudoMaskWeight quality weight of model-generated masks (radiologist masks weigh 1)
   */
  public static LesionStore load(List<MaskedSlices.Slice> slices, ImagePreprocessor preprocessor, int[] grid,
      double pseudoMaskWeight, IntConsumer progress) throws IOException {
    int width = preprocessor.preprocessing().width();
    int height = preprocessor.preprocessing().height();
    List<float[]> pixels = new java.util.ArrayList<>();
    List<float[]> masks = new java.util.ArrayList<>();
    List<Float> quality = new java.util.ArrayList<>();
    int empty = 0;
    for (int i = 0; i < slices.size(); i++) {
      MaskedSlices.Slice slice = slices.get(i);
      MaskedSlices.ModelView view = MaskedSlices.read(slice, preprocessor);
      float[] cells = MaskedSlices.gridFractions(view.mask(), width, height, grid[0], grid[1]);
      progress.accept(i + 1);
      if (java.util.stream.IntStream.range(0, cells.length).allMatch(k -> cells[k] == 0)) {
        empty++; // nothing to point at: a lesion term would only push the map to zero
        continue;
      }
      pixels.add(view.input());
      masks.add(cells);
      quality.add(slice.pseudoMask() ? (float) pseudoMaskWeight : 1f);
    }
    float[] q = new float[quality.size()];
    for (int i = 0; i < q.length; i++) {
      q[i] = quality.get(i);
    }
    return new LesionStore(pixels.toArray(new float[0][]), masks.toArray(new float[0][]), q, empty);
  }

  /** Slices left out because their mask is empty. */
  public int emptyMasks() {
    return emptyMasks;
  }

  public int size() {
    return pixels.length;
  }

  public float[] pixels(int i) {
    return pixels[i];
  }

  /** Covered share per grid cell, row-major. */
  public float[] mask(int i) {
    return masks[i];
  }

  public float quality(int i) {
    return quality[i];
  }
}
