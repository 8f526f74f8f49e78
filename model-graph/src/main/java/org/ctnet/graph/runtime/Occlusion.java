package org.ctnet.graph.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Sliding-window occlusion (Zeiler &amp; Fergus 2014; the paper's map of potentially infected
 * regions): a window of {@code fill} slides over the image; the drop in the class score at each
 * position is spread over the pixels the window covered and averaged. Occluded copies are scored
 * in batches, one session run per batch.
 */
public final class Occlusion {
  /** What the map measures the drop of. */
  public enum Score {
    /** The class probability, as in the paper; flat where the model is saturated (p ≈ 1). */
    PROBABILITY,
    /** The class's log-odds (its logit minus the log-sum-exp of the others): keeps moving when p ≈ 1. */
    LOG_ODDS;

    /** This score of one row of a prediction. */
    public float of(Prediction p, int row, int targetClass) {
      if (this == PROBABILITY) {
        return p.probabilities()[row][targetClass];
      }
      float[] logits = p.logits()[row];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < logits.length; k++) {
        if (k != targetClass) {
          max = Math.max(max, logits[k]);
        }
      }
      double sum = 0;
      for (int k = 0; k < logits.length; k++) {
        if (k != targetClass) {
          sum += Math.exp(logits[k] - max);
        }
      }
      return (float) (logits[targetClass] - (max + Math.log(sum)));
    }
  }

  /**
   * @param window square window side in model-input pixels
   * @param stride step between windows
   * @param fill value written into the window (model-input scale, [0, 1])
   * @param batchSize occluded copies per session run
   * @param score the class score whose drop is mapped
   */
  public record Settings(int window, int stride, float fill, int batchSize, Score score) {
    public Settings {
      if (window < 1 || stride < 1 || batchSize < 1) {
        throw new IllegalArgumentException("occlusion window, stride and batch size must be >= 1, got "
            + window + ", " + stride + ", " + batchSize);
      }
      if (score == null) {
        throw new IllegalArgumentException("occlusion score must be given (probability or log-odds)");
      }
      if (!(fill >= 0 && fill <= 1)) {
        throw new IllegalArgumentException("occlusion fill must be in [0, 1], got " + fill);
      }
    }
  }

  /** The map and the unoccluded score it is relative to. */
  public record Result(float[] drop, float baseScore, int windows) {
    /** Positive drops divided by their maximum (0 where occluding never lowered the score). */
    public float[] normalised() {
      float max = 0;
      for (float v : drop) {
        max = Math.max(max, v);
      }
      float[] out = new float[drop.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = max > 0 ? Math.max(0, drop[i]) / max : 0;
      }
      return out;
    }
  }

  private Occlusion() {}

  static List<Integer> starts(int size, int window, int stride) {
    List<Integer> out = new ArrayList<>();
    if (window >= size) {
      out.add(0);
      return out;
    }
    for (int s = 0; s + window <= size; s += stride) {
      out.add(s);
    }
    if (out.get(out.size() - 1) + window < size) {
      out.add(size - window); // cover the last rows/columns too
    }
    return out;
  }

  /**
   * @param image one model-input image [H·W·C]
   * @param targetClass the class whose score is watched
   * @param progress called with the number of windows done
   */
  public static Result run(Predictor model, float[] image, int targetClass, Settings s, IntConsumer progress) {
    int h = model.spec().inputHeight();
    int w = model.spec().inputWidth();
    int c = model.spec().inputChannels();
    if (image.length != h * w * c) {
      throw new IllegalArgumentException("image must have " + (h * w * c) + " values, got " + image.length);
    }
    if (targetClass < 0 || targetClass >= model.spec().numClasses()) {
      throw new IllegalArgumentException("target class must be in [0, " + model.spec().numClasses() + "), got " + targetClass);
    }
    float base = s.score().of(model.predict(image, 1), 0, targetClass);
    List<int[]> positions = new ArrayList<>();
    for (int y : starts(h, s.window(), s.stride())) {
      for (int x : starts(w, s.window(), s.stride())) {
        positions.add(new int[] {y, x});
      }
    }
    double[] sum = new double[h * w];
    int[] count = new int[h * w];
    int done = 0;
    for (int start = 0; start < positions.size(); start += s.batchSize()) {
      int n = Math.min(s.batchSize(), positions.size() - start);
      float[] batch = new float[n * image.length];
      for (int i = 0; i < n; i++) {
        System.arraycopy(image, 0, batch, i * image.length, image.length);
        int[] p = positions.get(start + i);
        for (int y = p[0]; y < Math.min(h, p[0] + s.window()); y++) {
          for (int x = p[1]; x < Math.min(w, p[1] + s.window()); x++) {
            for (int k = 0; k < c; k++) {
              batch[i * image.length + (y * w + x) * c + k] = s.fill();
            }
          }
        }
      }
      Prediction pred = model.predict(batch, n);
      for (int i = 0; i < n; i++) {
        float drop = base - s.score().of(pred, i, targetClass);
        int[] p = positions.get(start + i);
        for (int y = p[0]; y < Math.min(h, p[0] + s.window()); y++) {
          for (int x = p[1]; x < Math.min(w, p[1] + s.window()); x++) {
            sum[y * w + x] += drop;
            count[y * w + x]++;
          }
        }
      }
      done += n;
      progress.accept(done);
    }
    float[] drop = new float[h * w];
    for (int i = 0; i < drop.length; i++) {
      drop[i] = count[i] == 0 ? 0 : (float) (sum[i] / count[i]);
    }
    return new Result(drop, base, positions.size());
  }
}
