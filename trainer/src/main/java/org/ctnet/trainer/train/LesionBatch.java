package org.ctnet.trainer.train;

import org.ctnet.graph.runtime.LesionFeed;
import org.ctnet.graph.preprocess.LungField;
import org.ctnet.graph.render.HeatmapRenderer;
import org.ctnet.trainer.data.Augmentation;
import org.ctnet.trainer.data.LesionStore;

/**
 * One batch's lesion inputs. With a lesion head: masked slices are augmented together with their
 * masks (geometry shared, display transforms on the image only, so the head learns lesions under any
 * window, noise or compression) and carry no classification loss; non-COVID slices of the class
 * sources carry an empty lesion mask at {@link LesionGuidance#negativeWeight()} (they may show
 * other disease, so it is low); every image carries the lung field found on its fed pixels by
 * {@link LungField} (weight 0 where none is found). Without a head (Grad-CAM guidance), masked
 * slices are fed as stored with their mask on the explained layer's grid.
 */
final class LesionBatch {
  private final LesionGuidance guidance;
  private final int[] grid;
  private final boolean head;
  private final int height;
  private final int width;
  private final int cells;
  private final LesionFeed feed;
  /** Images whose lung field is still to be found: (image index, its pixels' offset in the batch). */
  private final java.util.List<int[]> pendingLungFields = new java.util.ArrayList<>();
  private float[] batch;

  LesionBatch(LesionGuidance guidance, int[] grid, boolean head, int height, int width, int n) {
    this.guidance = guidance;
    this.grid = grid;
    this.head = head;
    this.height = height;
    this.width = width;
    this.cells = grid[0] * grid[1];
    this.feed = head
        ? new LesionFeed(new float[n], new float[n * cells], new float[n], new float[n * cells], new float[n])
        : new LesionFeed(new float[n], new float[n * cells], new float[n]);
  }

  /**
   * The feed, once every image's lung field is found: in parallel over the batch (classic image
   * processing, ~6 ms an image, between two session runs that use both cores themselves).
   */
  LesionFeed feed() {
    pendingLungFields.parallelStream().forEach(p -> lungField(p[0], batch, p[1]));
    pendingLungFields.clear();
    return feed;
  }

  /**
   * Image i of the batch is a class-source slice with these fed pixels.
   *
   * @param negative whether its label is not the positive class
   */
  void classified(int i, float[] pixels, int offset, boolean negative) {
    feed.exampleWeights()[i] = 1f;
    if (head) {
      feed.weights()[i] = negative ? (float) (guidance.weight() * guidance.negativeWeight()) : 0f;
      later(i, pixels, offset);
    }
  }

  /** Image i is masked slice {@code slice}; its (augmented, with a head) pixels are written to {@code batch}. */
  void masked(int i, LesionStore lesions, int slice, Augmentation augmentation, long seed, float[] batch, int offset) {
    feed.exampleWeights()[i] = 0f;
    feed.weights()[i] = (float) guidance.weight() * lesions.quality(slice);
    if (!head) {
      System.arraycopy(lesions.pixels(slice), 0, batch, offset, height * width);
      System.arraycopy(lesions.mask(slice, grid), 0, feed.masks(), i * cells, cells);
      return;
    }
    float[] image = new float[height * width];
    float[] mask = new float[height * width];
    augmentation.apply(lesions.pixels(slice), image, height, width, seed, lesions.maskPixels(slice), mask);
    System.arraycopy(image, 0, batch, offset, image.length);
    System.arraycopy(onGrid(mask), 0, feed.masks(), i * cells, cells);
    later(i, batch, offset);
  }

  private void later(int i, float[] pixels, int offset) {
    batch = pixels;
    pendingLungFields.add(new int[] {i, offset});
  }

  private void lungField(int i, float[] batch, int offset) {
    float[] pixels = java.util.Arrays.copyOfRange(batch, offset, offset + height * width);
    LungField field = LungField.find(pixels, width, height);
    if (!field.found()) {
      feed.lungWeights()[i] = 0f;
      return;
    }
    float[] values = new float[pixels.length];
    for (int k = 0; k < values.length; k++) {
      values[k] = field.mask()[k] ? 1f : 0f;
    }
    System.arraycopy(onGrid(values), 0, feed.lungMasks(), i * cells, cells);
    feed.lungWeights()[i] = (float) guidance.weight();
  }

  private float[] onGrid(float[] values) {
    float[][] rows = HeatmapRenderer.grid(values, width, height, grid[0], grid[1]);
    float[] out = new float[cells];
    for (int r = 0; r < grid[0]; r++) {
      System.arraycopy(rows[r], 0, out, r * grid[1], grid[1]);
    }
    return out;
  }
}
