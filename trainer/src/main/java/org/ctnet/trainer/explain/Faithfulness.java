package org.ctnet.trainer.explain;

import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.runtime.Occlusion;
import org.ctnet.graph.runtime.Prediction;

/**
 * A ROAD-like faithfulness check (Rong et al. 2022): replace the most relevant x% of pixels (by
 * the map) with a local blur, and separately the least relevant x%, and compare the change in the
 * class's log-odds (the probability of a confident model hardly moves). A faithful map loses more
 * when its most relevant pixels go.
 */
public final class Faithfulness {
  /** Log-odds drops when the most (MoRF) and least (LeRF) relevant pixels are removed. */
  public record Result(double base, double dropMostRelevant, double dropLeastRelevant) {
    public double gap() {
      return dropMostRelevant - dropLeastRelevant;
    }
  }

  private Faithfulness() {}

  public static Result measure(Predictor model, float[] image, float[] heat, int targetClass, double fraction) {
    int w = model.spec().inputWidth();
    int h = model.spec().inputHeight();
    float[] blurred = boxBlur(image, w, h, 7);
    boolean[] most = MapMetrics.topRegion(heat, fraction);
    float[] negated = new float[heat.length];
    for (int i = 0; i < heat.length; i++) {
      negated[i] = -heat[i];
    }
    boolean[] least = MapMetrics.topRegion(negated, fraction);
    float[] batch = new float[3 * image.length];
    System.arraycopy(image, 0, batch, 0, image.length);
    for (int i = 0; i < image.length; i++) {
      batch[image.length + i] = most[i] ? blurred[i] : image[i];
      batch[2 * image.length + i] = least[i] ? blurred[i] : image[i];
    }
    Prediction p = model.predict(batch, 3);
    Occlusion.Score logOdds = Occlusion.Score.LOG_ODDS;
    float base = logOdds.of(p, 0, targetClass);
    return new Result(base, base - logOdds.of(p, 1, targetClass), base - logOdds.of(p, 2, targetClass));
  }

  /** Mean over a (2r+1)² window, clamped at the borders (single channel). */
  static float[] boxBlur(float[] image, int w, int h, int radius) {
    float[] out = new float[image.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double s = 0;
        int n = 0;
        for (int dy = -radius; dy <= radius; dy++) {
          int yy = Math.max(0, Math.min(h - 1, y + dy));
          for (int dx = -radius; dx <= radius; dx++) {
            int xx = Math.max(0, Math.min(w - 1, x + dx));
            s += image[yy * w + xx];
            n++;
          }
        }
        out[y * w + x] = (float) (s / n);
      }
    }
    return out;
  }
}
