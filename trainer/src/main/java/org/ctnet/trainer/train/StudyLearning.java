package org.ctnet.trainer.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.ctnet.graph.assets.ScanRule;

/**
 * How studies with one label each train the model (multiple-instance learning): at every epoch
 * each study's lung slices are scored by the current model, a few are chosen to carry the study
 * into the step, and their logits are pooled into the study's logit, which meets the study's label.
 *
 * @param pooling how the chosen slices' logits become the study's
 * @param maxSlices most slices of one study in a step (memory: a step holds them all in training mode)
 * @param sharpness r of {@link Pooling#LSE} (ignored by {@link Pooling#TOP_K_MEAN})
 */
public record StudyLearning(Pooling pooling, int maxSlices, double sharpness) {
  /** Pooling a study's slices into one logit. */
  public enum Pooling {
    /**
     * The mean logit of the study's top 20% slices by the current model (the scan rule the server
     * serves, at least one slice, at most {@code maxSlices}): the study is as suspicious as its
     * most suspicious fifth.
     */
    TOP_K_MEAN,
    /**
     * Log-sum-exp with sharpness r over {@code maxSlices} slices: the most suspicious half by the
     * current model and a random half of the rest, so the pooled logit lies between their mean and
     * their maximum and every chosen slice gets some gradient.
     */
    LSE;

    public static Pooling parse(String name) {
      for (Pooling p : values()) {
        if (p.name().equalsIgnoreCase(name.replace('-', '_'))) {
          return p;
        }
      }
      throw new IllegalArgumentException("study pooling must be top-k-mean or lse, got '" + name + "'");
    }

    public String cliName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** r fed with {@link Pooling#TOP_K_MEAN}: log-sum-exp this soft is the mean within 1e-2 · variance. */
  static final float MEAN_SHARPNESS = 0.01f;

  // The defaults, as the CLI spells them: the pooling that lost least against slice labels in the
  // cross-validation of docs/study-labels.md (log-sum-exp over 8 slices: 0.881 per scan, top-k-mean 0.784).
  public static final String DEFAULT_POOLING = "lse";
  public static final String DEFAULT_SLICES = "8";
  public static final String DEFAULT_SHARPNESS = "1";

  public StudyLearning {
    if (pooling == null) {
      throw new IllegalArgumentException("study pooling is required");
    }
    if (maxSlices < 1 || maxSlices > 64) {
      throw new IllegalArgumentException("slices per study must be in [1, 64], got " + maxSlices);
    }
    if (!(sharpness > 0 && sharpness <= 50)) {
      throw new IllegalArgumentException("pooling sharpness must be in (0, 50], got " + sharpness);
    }
  }

  /** The slices that carry one study into a step and their pooling weights (summing to 1). */
  public record Selection(int[] slices, float[] weights) {
    public int size() {
      return slices.length;
    }
  }

  /** r fed to the graph's bag term. */
  public float graphSharpness() {
    return pooling == Pooling.TOP_K_MEAN ? MEAN_SHARPNESS : (float) sharpness;
  }

  /**
   * Chooses a study's slices from their current binary logits.
   *
   * @param logits the current model's binary logit of each of the study's slices
   */
  public Selection select(double[] logits, Random random) {
    int n = logits.length;
    if (n == 0) {
      throw new IllegalArgumentException("a study needs at least one slice");
    }
    Integer[] byScore = new Integer[n];
    for (int i = 0; i < n; i++) {
      byScore[i] = i;
    }
    // Ties (common before training moves anything) go to the earlier slice: deterministic.
    Arrays.sort(byScore, (a, b) -> logits[b] != logits[a] ? Double.compare(logits[b], logits[a]) : Integer.compare(a, b));
    int[] chosen;
    if (pooling == Pooling.TOP_K_MEAN) {
      chosen = Arrays.stream(byScore).limit(Math.min(maxSlices, ScanRule.topK(n))).mapToInt(Integer::intValue).toArray();
    } else {
      int m = Math.min(maxSlices, n);
      int top = (m + 1) / 2;
      int[] rest = Arrays.stream(byScore).skip(top).mapToInt(Integer::intValue).toArray();
      for (int i = rest.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = rest[i];
        rest[i] = rest[j];
        rest[j] = t;
      }
      chosen = new int[m];
      for (int i = 0; i < top; i++) {
        chosen[i] = byScore[i];
      }
      System.arraycopy(rest, 0, chosen, top, m - top);
    }
    float[] weights = new float[chosen.length];
    Arrays.fill(weights, 1f / chosen.length);
    return new Selection(chosen, weights);
  }

  /** The pooled study logit of the chosen slices' logits, as the graph computes it (for progress figures). */
  public double pooledLogit(double[] chosenLogits, float[] weights) {
    double r = graphSharpness();
    double top = Arrays.stream(chosenLogits).max().orElseThrow();
    double sum = 0;
    for (int i = 0; i < chosenLogits.length; i++) {
      sum += weights[i] * Math.exp(r * (chosenLogits[i] - top));
    }
    return top + Math.log(sum) / r;
  }
}
