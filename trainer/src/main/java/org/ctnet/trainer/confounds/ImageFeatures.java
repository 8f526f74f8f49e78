package org.ctnet.trainer.confounds;

import java.util.List;
import org.ctnet.graph.preprocess.GreyImage;
import org.ctnet.graph.preprocess.LungField;

/**
 * Trivial properties of a slice that say nothing about disease but may still tell the classes apart
 * in one source: size and shape of the file, grey-level statistics, how much lung the slice shows,
 * sharpness. A model can learn any of them instead of the disease.
 */
public final class ImageFeatures {
  /** Feature names, in the order {@link #of} returns them. */
  public static final List<String> NAMES = List.of("width", "height", "aspect (w/h)", "mean grey", "grey spread (sd)",
      "dark share (< 50)", "bright share (> 200)", "lung-field share", "edge strength");
  static final float DARK = 50;
  static final float BRIGHT = 200;

  private ImageFeatures() {}

  /**
   * @param decoded the slice as decoded (grey levels 0..255)
   * @param modelInput the same slice as the model sees it ([0, 1], {@code size × size}, first channel)
   */
  public static double[] of(GreyImage decoded, float[] modelInput, int width, int height) {
    float[] p = decoded.pixels();
    double sum = 0;
    double squares = 0;
    int dark = 0;
    int bright = 0;
    for (float v : p) {
      sum += v;
      squares += (double) v * v;
      dark += v < DARK ? 1 : 0;
      bright += v > BRIGHT ? 1 : 0;
    }
    double n = p.length;
    double mean = sum / n;
    LungField lungs = LungField.find(modelInput, width, height);
    int lung = 0;
    if (lungs.found()) {
      for (boolean inside : lungs.mask()) {
        lung += inside ? 1 : 0;
      }
    }
    double edges = 0;
    for (int y = 0; y + 1 < height; y++) {
      for (int x = 0; x + 1 < width; x++) {
        float here = modelInput[y * width + x];
        edges += Math.abs(modelInput[y * width + x + 1] - here) + Math.abs(modelInput[(y + 1) * width + x] - here);
      }
    }
    return new double[] {decoded.width(), decoded.height(), decoded.width() / (double) decoded.height(), mean,
        Math.sqrt(Math.max(0, squares / n - mean * mean)), dark / n, bright / n, lung / (double) (width * height),
        edges / ((width - 1.0) * (height - 1.0))};
  }
}
