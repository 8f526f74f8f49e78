package org.ctnet.graph.scan;

import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.Prediction;

/**
 * Scores a scan: every slice through the model in batches (DICOM through the lung window, all with
 * the model's own preprocessing), the lung slices picked by {@link LungSlices} where HU are known,
 * and one scan probability from them by the model's scan rule. When no slice shows lung (slices
 * without HU, or a series cut above the lungs) every slice is used, and the result says so.
 */
public final class ScanScorer {
  private static final int BATCH = 16;

  private final ModelSession session;
  private final ModelAssets.ScanDecision decision;

  public ScanScorer(ModelSession session) {
    this.session = session;
    this.decision = session.assets().effectiveScanDecision();
  }

  /**
   * @param name the scan (series UID, or folder)
   * @param sources each slice's file, in scan order
   * @param sliceProbabilities P(positive class) per slice
   * @param lung whether each slice shows lung (all true when HU are unknown)
   * @param used indices of the slices the scan probability was computed from
   * @param top indices of the slices with the highest probabilities among those used, best first
   * @param lungFound false when no slice showed lung and every slice was used
   */
  public record ScanResult(String name, List<String> sources, double[] sliceProbabilities, boolean[] lung, int[] used,
      int[] top, double probability, ModelAssets.ScanDecision decision, boolean lungFound) {
    public boolean positive() {
      return decision.isPositive(probability);
    }
  }

  /** A DICOM series. */
  public ScanResult score(Series series) {
    Preprocessing pre = session.assets().preprocessing();
    ImagePreprocessor preprocessor = new ImagePreprocessor(pre, Long.MAX_VALUE);
    List<float[]> inputs = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    boolean[] lung = new boolean[series.slices().size()];
    for (int i = 0; i < lung.length; i++) {
      SeriesSlice s = series.slices().get(i);
      lung[i] = LungSlices.showsLung(s.image(), s.frame());
      inputs.add(preprocessor.toModelInput(s.image().windowed(s.frame(), pre.windowCenter(), pre.windowWidth())));
      sources.add(s.source());
    }
    String name = series.seriesUid().isEmpty() ? "(series without UID)" : series.seriesUid();
    return score(name, sources, inputs, lung);
  }

  /**
   * Slices already turned into model inputs (e.g. a folder of PNG slices), in scan order;
   * {@code lung} may be null when unknown.
   */
  public ScanResult score(String name, List<String> sources, List<float[]> modelInputs, boolean[] lung) {
    int positive = session.assets().positiveClass();
    int pixels = session.assets().spec().inputShape().pixels();
    int n = modelInputs.size();
    if (n == 0) {
      throw new IllegalArgumentException("scan " + name + " has no slices");
    }
    double[] probabilities = new double[n];
    for (int start = 0; start < n; start += BATCH) {
      int count = Math.min(BATCH, n - start);
      float[] batch = new float[count * pixels];
      for (int i = 0; i < count; i++) {
        System.arraycopy(modelInputs.get(start + i), 0, batch, i * pixels, pixels);
      }
      Prediction p = session.predict(batch, count);
      for (int i = 0; i < count; i++) {
        probabilities[start + i] = p.probabilities()[i][positive];
      }
    }
    boolean[] shows = lung != null ? lung.clone() : new boolean[n];
    if (lung == null) {
      java.util.Arrays.fill(shows, true);
    }
    List<Integer> used = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (shows[i]) {
        used.add(i);
      }
    }
    boolean lungFound = !used.isEmpty();
    if (!lungFound) {
      for (int i = 0; i < n; i++) {
        used.add(i);
      }
    }
    double[] usedProbabilities = used.stream().mapToDouble(i -> probabilities[i]).toArray();
    int[] top = used.stream().sorted((a, b) -> Double.compare(probabilities[b], probabilities[a]))
        .limit(ScanRule.topK(used.size())).mapToInt(Integer::intValue).toArray();
    return new ScanResult(name, List.copyOf(sources), probabilities, shows, used.stream().mapToInt(Integer::intValue).toArray(),
        top, decision.rule().aggregate(usedProbabilities), decision, lungFound);
  }
}
