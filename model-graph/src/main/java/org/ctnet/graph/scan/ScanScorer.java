package org.ctnet.graph.scan;

import org.ctnet.graph.assets.ScanRule;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.lesion.Severity;
import org.ctnet.graph.runtime.LesionMaps;
import org.ctnet.graph.runtime.Prediction;

/**
 * Scores a scan: every slice through the model in batches (DICOM through the lung window, all with
 * the model's own preprocessing), the lung slices picked by {@link LungSlices} where HU are known,
 * and one scan probability from them by the model's scan rule. With a lesion head, the scan's lung
 * involvement too: the slices' involvement weighted by their lung area (a volume share). When no slice shows lung (slices
 * without HU, or a series cut above the lungs) every slice is used, and the result says so.
 */
public final class ScanScorer {
  private static final int BATCH = 16;

  /** Runs the model on a batch of inputs ([n, H, W, C] flattened), giving each slice's scores. */
  @FunctionalInterface
  public interface SliceScorer {
    CompletableFuture<SliceScores> scores(float[] batch, int count);
  }

  /**
   * A batch's per-slice scores.
   *
   * @param probabilities class probabilities per slice
   * @param involvement per slice, the lesion head's lung involvement (null: the model has no lesion head)
   * @param lungShare per slice, the share of the slice the lesion head's lung map covers (null likewise)
   */
  public record SliceScores(float[][] probabilities, float[] involvement, float[] lungShare, byte[][] lesionMaps) {
    /** A prediction's scores, with the lesion head's involvement and lung share when it has them. */
    public static SliceScores of(Prediction prediction) {
      LesionMaps p = prediction.lesion();
      if (p == null) {
        return new SliceScores(prediction.probabilities(), null, null, null);
      }
      float[] lungShare = new float[p.size()];
      for (int i = 0; i < lungShare.length; i++) {
        int lung = 0;
        for (float v : p.lungMaps()[i]) {
          lung += v > 0.5f ? 1 : 0;
        }
        lungShare[i] = (float) lung / p.lungMaps()[i].length;
      }
      return new SliceScores(prediction.probabilities(), p.involvement(), lungShare, quantised(p.lesionMaps()));
    }

    /** Lesion probabilities as 0..255 levels: a scan keeps every slice's map at a quarter of the memory. */
    static byte[][] quantised(float[][] maps) {
      byte[][] out = new byte[maps.length][];
      for (int i = 0; i < maps.length; i++) {
        out[i] = new byte[maps[i].length];
        for (int p = 0; p < maps[i].length; p++) {
          out[i][p] = (byte) Math.round(Math.max(0f, Math.min(1f, maps[i][p])) * 255f);
        }
      }
      return out;
    }
  }

  /** Batches in flight at once: keeps both inference workers busy without flooding a server's queue. */
  static final int BATCHES_IN_FLIGHT = 4;

  private final ModelAssets assets;
  private final SliceScorer predictor;
  private final ModelAssets.ScanDecision decision;

  /** Scores with the session directly (the CLI), two session runs at a time (TF sessions are thread-safe). */
  public ScanScorer(org.ctnet.graph.runtime.Predictor session) {
    this(session.assets(), (batch, count) -> CompletableFuture.supplyAsync(
        () -> SliceScores.of(session.predict(batch, count)), CLI_RUNS));
  }

  private static final java.util.concurrent.ExecutorService CLI_RUNS = java.util.concurrent.Executors.newFixedThreadPool(2,
      r -> Thread.ofPlatform().daemon().name("scan-scorer").unstarted(r));

  /** Scores through {@code predictor} (a server's scheduler). */
  public ScanScorer(ModelAssets assets, SliceScorer predictor) {
    this.assets = assets;
    this.predictor = predictor;
    this.decision = assets.effectiveScanDecision();
  }

  /**
   * @param name the scan (series UID, or folder)
   * @param sources each slice's file, in scan order
   * @param sliceProbabilities P(positive class) per slice
   * @param lung whether each slice shows lung (all true when HU are unknown)
   * @param used indices of the slices the scan probability was computed from
   * @param top indices of the slices with the highest probabilities among those used, best first
   * @param lungFound false when no slice showed lung and every slice was used
   * @param topInputs the model inputs of the {@code top} slices, for explanations
   * @param sliceInvolvement per slice, the lesion head's lung involvement (null without a lesion head)
   * @param involvement the scan's lung involvement: the slices used, each weighted by its lung area
   *     (NaN without a lesion head)
   * @param sliceChecks each slice's input checks (null when not checked)
   * @param sliceLesionMaps per slice, the lesion map on the model input's grid as 0..255 levels (null
   *     without a lesion head)
   * @param sliceFrames per slice, the part of the source image that became the model input (null when
   *     the slices were not DICOM), to carry maps back onto the source's pixels
   */
  public record ScanResult(String name, List<String> sources, double[] sliceProbabilities, boolean[] lung, int[] used,
      int[] top, double probability, ModelAssets.ScanDecision decision, boolean lungFound, List<float[]> topInputs,
      double[] sliceInvolvement, double involvement, List<InputCheck.Result> sliceChecks, List<byte[]> sliceLesionMaps,
      List<org.ctnet.graph.preprocess.BodyFrame> sliceFrames) {
    public boolean positive() {
      return decision.isPositive(probability);
    }

    /** True when the model gave lesion figures. */
    public boolean hasInvolvement() {
      return sliceInvolvement != null;
    }

    /** Top slices explained for a scan (heatmaps in reports, captures, API answers). */
    public static final int EXPLAINED_SLICES = 3;

    /** How many top slices get explained: {@link #EXPLAINED_SLICES}, or fewer when the scan has fewer. */
    public int explainedCount() {
      return Math.min(EXPLAINED_SLICES, top.length);
    }

    /** The model inputs of the explained top slices as one batch ([n, H, W, C] flattened), best first. */
    public float[] explainedBatch() {
      int n = explainedCount();
      int pixels = n == 0 ? 0 : topInputs.get(0).length;
      float[] batch = new float[n * pixels];
      for (int i = 0; i < n; i++) {
        System.arraycopy(topInputs.get(i), 0, batch, i * pixels, pixels);
      }
      return batch;
    }

    /** Fewest used slices that pass their checks for a scan to count as judged on usable slices. */
    public static final int MIN_USABLE_SLICES = 3;

    /** Used slices that pass their input checks (all used slices when they were not checked). */
    public int usableSlices() {
      if (sliceChecks == null) {
        return used.length;
      }
      return (int) java.util.Arrays.stream(used).filter(i -> sliceChecks.get(i).ok()).count();
    }

    /**
     * The scan's input check: {@code ok}, or {@code too_few_usable_slices} when fewer than
     * {@link #MIN_USABLE_SLICES} used slices, or fewer than half of them, pass their checks (the
     * slices' own reasons are in {@link #sliceChecks}), or {@code no_lung_slices} when no slice showed lung.
     */
    public String inputCheck() {
      if (!lungFound) {
        return "no_lung_slices";
      }
      int usable = usableSlices();
      return usable < MIN_USABLE_SLICES || 2 * usable < used.length ? "too_few_usable_slices" : "ok";
    }

    /** The scan's severity category (null without a lesion head). */
    public Severity severity() {
      return hasInvolvement() ? Severity.of(involvement) : null;
    }
  }

  /**
   * A DICOM series, decoded slice by slice as it is scored; slices whose pixels cannot be decoded are
   * left out and named in {@code unreadable}.
   */
  public ScanResult score(Series series, long maxPixels, List<SeriesAssembler.Skipped> unreadable) {
    DecodedSeries decoded = DecodedSeries.decode(series, assets.preprocessing(), maxPixels, unreadable);
    String name = series.seriesUid().isEmpty() ? "(series without UID)" : series.seriesUid();
    return score(name, decoded.sources(), decoded.inputs(), decoded.lung(), decoded.checks(), decoded.frames());
  }

  /**
   * Slices given as image files (PNG, JPEG, ...; no HU, so no lung finding), in scan order; files that
   * do not decode are added to {@code unreadable}. Empty when none decodes.
   */
  public java.util.Optional<ScanResult> scoreImages(String name, List<SeriesAssembler.Input> images, long maxPixels,
      List<SeriesAssembler.Skipped> unreadable) {
    DecodedSeries decoded = DecodedSeries.ofImages(images, assets.preprocessing(), maxPixels, unreadable);
    List<float[]> inputs = decoded.inputs();
    if (inputs.isEmpty()) {
      return java.util.Optional.empty();
    }
    int w = assets.spec().inputWidth();
    int h = assets.spec().inputHeight();
    int channels = assets.spec().inputChannels();
    List<InputCheck.Result> checks = IntStream.range(0, inputs.size()).parallel()
        .mapToObj(i -> InputCheck.checkModelInput(inputs.get(i), w, h, channels)).toList();
    return java.util.Optional.of(score(name, decoded.sources(), inputs, null, checks));
  }

  /** The result, or the cause of a failure unwrapped (a server's typed errors keep their type). */
  private static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  /**
   * Slices already turned into model inputs (e.g. a folder of PNG slices), in scan order;
   * {@code lung} may be null when unknown.
   */
  public ScanResult score(String name, List<String> sources, List<float[]> modelInputs, boolean[] lung) {
    return score(name, sources, modelInputs, lung, null);
  }

  /**
   * As {@link #score(String, List, List, boolean[])}, with each slice's input checks (null: not
   * checked), which the result carries and sums up for the scan.
   */
  public ScanResult score(String name, List<String> sources, List<float[]> modelInputs, boolean[] lung,
      List<InputCheck.Result> checks) {
    return score(name, sources, modelInputs, lung, checks, null);
  }

  private ScanResult score(String name, List<String> sources, List<float[]> modelInputs, boolean[] lung,
      List<InputCheck.Result> checks, List<org.ctnet.graph.preprocess.BodyFrame> frames) {
    int positive = assets.positiveClass();
    int pixels = assets.spec().inputShape().pixels();
    int n = modelInputs.size();
    if (n == 0) {
      throw new IllegalArgumentException("scan " + name + " has no slices");
    }
    double[] probabilities = new double[n];
    double[] involvement = new double[n];
    double[] lungShare = new double[n];
    byte[][] lesionMaps = new byte[n][];
    boolean[] lesionHead = {false};
    java.util.ArrayDeque<Runnable> pending = new java.util.ArrayDeque<>();
    for (int start = 0; start < n; start += BATCH) {
      int first = start;
      int count = Math.min(BATCH, n - start);
      float[] batch = new float[count * pixels];
      for (int i = 0; i < count; i++) {
        System.arraycopy(modelInputs.get(start + i), 0, batch, i * pixels, pixels);
      }
      CompletableFuture<SliceScores> future = predictor.scores(batch, count);
      pending.add(() -> {
        SliceScores p = join(future);
        lesionHead[0] = p.involvement() != null;
        for (int i = 0; i < count; i++) {
          probabilities[first + i] = p.probabilities()[i][positive];
          if (p.involvement() != null) {
            involvement[first + i] = p.involvement()[i];
            lungShare[first + i] = p.lungShare()[i];
            lesionMaps[first + i] = p.lesionMaps()[i];
          }
        }
      });
      if (pending.size() >= BATCHES_IN_FLIGHT) {
        pending.poll().run();
      }
    }
    while (!pending.isEmpty()) {
      pending.poll().run();
    }
    boolean[] shows = lung != null ? lung.clone() : new boolean[n];
    if (lung == null) {
      java.util.Arrays.fill(shows, true);
    }
    List<Integer> used = java.util.Arrays.stream(LungSlices.used(lung, n)).boxed().collect(
        java.util.stream.Collectors.toCollection(ArrayList::new));
    boolean lungFound = lung == null || IntStream.range(0, n).anyMatch(i -> lung[i]);
    double[] usedProbabilities = used.stream().mapToDouble(i -> probabilities[i]).toArray();
    int[] top = used.stream().sorted((a, b) -> Double.compare(probabilities[b], probabilities[a]))
        .limit(ScanRule.topK(used.size())).mapToInt(Integer::intValue).toArray();
    List<float[]> topInputs = java.util.Arrays.stream(top).mapToObj(modelInputs::get).toList();
    double scanInvolvement = Double.NaN;
    if (lesionHead[0]) {
      double lesion = 0;
      double lungArea = 0;
      for (int i : used) {
        lesion += involvement[i] * lungShare[i];
        lungArea += lungShare[i];
      }
      scanInvolvement = lungArea == 0 ? 0 : lesion / lungArea;
    }
    return new ScanResult(name, List.copyOf(sources), probabilities, shows, used.stream().mapToInt(Integer::intValue).toArray(),
        top, decision.rule().aggregate(usedProbabilities), decision, lungFound, topInputs,
        lesionHead[0] ? involvement : null, scanInvolvement, checks == null ? null : List.copyOf(checks),
        lesionHead[0] ? List.of(lesionMaps) : null, frames == null ? null : List.copyOf(frames));
  }
}
