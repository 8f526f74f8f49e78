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
  private final int[][] byFolder;
  private final double[] folderOdds;

  private LesionStore(float[][] pixels, boolean[][] masks, float[] quality, int width, int height, int emptyMasks,
      int[] folder) {
    this.pixels = pixels;
    this.masks = masks;
    this.quality = quality;
    this.width = width;
    this.height = height;
    this.emptyMasks = emptyMasks;
    int folders = java.util.Arrays.stream(folder).max().orElse(-1) + 1;
    this.byFolder = new int[folders][];
    this.folderOdds = new double[folders];
    double total = 0;
    for (int f = 0; f < folders; f++) {
      int id = f;
      byFolder[f] = java.util.stream.IntStream.range(0, folder.length).filter(i -> folder[i] == id).toArray();
      total += Math.sqrt(byFolder[f].length);
      folderOdds[f] = total;
    }
    for (int f = 0; f < folders; f++) {
      folderOdds[f] /= total;
    }
  }

  /**
   * A slice drawn for one masked entry of an epoch: first a folder, with odds proportional to the
   * square root of its size (a folder of 40 radiologist masks is not drowned by 1,500 pseudo masks,
   * nor repeated as often as one ten times its size), then a slice of it uniformly.
   */
  public int draw(java.util.Random random) {
    double u = random.nextDouble();
    int f = 0;
    while (f < folderOdds.length - 1 && u >= folderOdds[f]) {
      f++;
    }
    return byFolder[f][random.nextInt(byFolder[f].length)];
  }

  /**
   * @param pseudoMaskWeight quality weight of model-generated masks (radiologist masks weigh 1)
   * @param keepEmpty keep slices whose mask is empty (a lesion head learns "no lesion here" from
   *     them; Grad-CAM guidance has nothing to point at and leaves them out)
   */
  public static LesionStore load(List<MaskedSlices.Slice> slices, ImagePreprocessor preprocessor,
      double pseudoMaskWeight, boolean keepEmpty, IntConsumer progress) throws IOException {
    return loadFolders(List.of(slices), preprocessor, pseudoMaskWeight, keepEmpty, progress);
  }

  /** As {@link #load}, one list per folder (see {@link #draw}). */
  public static LesionStore loadFolders(List<List<MaskedSlices.Slice>> folders, ImagePreprocessor preprocessor,
      double pseudoMaskWeight, boolean keepEmpty, IntConsumer progress) throws IOException {
    List<MaskedSlices.Slice> slices = new ArrayList<>();
    List<Integer> folderOf = new ArrayList<>();
    for (int f = 0; f < folders.size(); f++) {
      slices.addAll(folders.get(f));
      for (int i = 0; i < folders.get(f).size(); i++) {
        folderOf.add(f);
      }
    }
    List<Integer> keptFolder = new ArrayList<>();
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
      keptFolder.add(folderOf.get(i));
      quality.add(slice.pseudoMask() ? (float) pseudoMaskWeight : 1f);
    }
    float[] q = new float[quality.size()];
    for (int i = 0; i < q.length; i++) {
      q[i] = quality.get(i);
    }
    return new LesionStore(pixels.toArray(new float[0][]), masks.toArray(new boolean[0][]), q, width, height, empty,
        keptFolder.stream().mapToInt(Integer::intValue).toArray());
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
