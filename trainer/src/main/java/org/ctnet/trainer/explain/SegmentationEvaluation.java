package org.ctnet.trainer.explain;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntConsumer;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.Occlusion;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.trainer.data.MaskedSlices;
import org.ctnet.trainer.eval.Bootstrap;

/**
 * A lesion head's maps against infection masks, slice by slice, with patient-bootstrap intervals:
 * Dice and IoU of the map thresholded at 0.5, pixel AUROC, pointing game, energy in mask, the
 * infected share of the slice (predicted against true, mean absolute error), and faithfulness: how
 * much the COVID log-odds fall when the predicted lesion region is blurred, against the same region
 * moved to a random place (same shape and area).
 */
public final class SegmentationEvaluation {
  /** Per-slice figures (NaN where undefined: e.g. faithfulness without a predicted region). */
  public record SliceResult(String image, String group, double maskShare, double predictedShare, double dice,
      double iou, double pixelAuroc, double pointing, double energyInMask, double involvement, double covidProbability,
      double dropLesion, double dropRandom, int intersection, int predicted, int truth) {}

  /** A metric with its 95% interval over patients (slices resampled by group). */
  public record Figure(String metric, double value, double lower, double upper, int slices) {}

  /** The figures' names, in report order. */
  public static final List<String> METRICS = List.of("dice_pooled", "dice_mean", "iou_mean", "pixel_auroc_mean",
      "pointing_game", "energy_in_mask", "share_abs_error", "faithfulness_lesion_minus_random");

  private SegmentationEvaluation() {}

  /** Scores every slice (one forward pass each with the lesion outputs, one faithfulness batch of 3). */
  public static List<SliceResult> score(Predictor model, List<MaskedSlices.Slice> slices, ImagePreprocessor pre,
      long seed, IntConsumer progress) throws IOException {
    if (!model.hasLesionHead()) {
      throw new IllegalArgumentException("model " + model.spec().name() + " has no lesion head (spec lesionHead): "
          + "score its heatmaps with explain-eval instead");
    }
    int w = model.spec().inputWidth();
    int h = model.spec().inputHeight();
    int positive = model.spec().numClasses() - 1;
    List<SliceResult> results = new ArrayList<>();
    Random random = new Random(seed);
    for (int i = 0; i < slices.size(); i++) {
      MaskedSlices.Slice slice = slices.get(i);
      MaskedSlices.ModelView view = MaskedSlices.read(slice, pre);
      Prediction p = model.predict(view.input(), 1);
      float[] map = p.lesion().lesionMaps()[0];
      boolean[] mask = view.mask();
      boolean[] predicted = new boolean[map.length];
      int inter = 0;
      int pred = 0;
      int truth = 0;
      for (int k = 0; k < map.length; k++) {
        predicted[k] = map[k] > 0.5f;
        pred += predicted[k] ? 1 : 0;
        truth += mask[k] ? 1 : 0;
        inter += predicted[k] && mask[k] ? 1 : 0;
      }
      double[] drops = faithfulness(model, view.input(), predicted, w, h, positive, random);
      results.add(new SliceResult(slice.image().getFileName().toString(), slice.group(), (double) truth / map.length,
          (double) pred / map.length, MapMetrics.dice(predicted, mask), MapMetrics.iou(predicted, mask),
          truth == 0 ? Double.NaN : MapMetrics.pixelAuroc(map, mask),
          truth == 0 ? Double.NaN : MapMetrics.pointingGame(map, mask),
          truth == 0 ? Double.NaN : MapMetrics.energyInMask(map, mask), p.lesion().involvement()[0],
          p.probabilities()[0][positive], drops[0], drops[1], inter, pred, truth));
      progress.accept(i + 1);
    }
    return results;
  }

  /**
   * Fall of the positive class's log-odds when the predicted region is blurred, and when the same
   * region shifted by a random offset (wrapping round the image) is: NaN without a predicted region.
   */
  static double[] faithfulness(Predictor model, float[] image, boolean[] region, int w, int h, int positive,
      Random random) {
    int dx = random.nextInt(w);
    int dy = random.nextInt(h);
    boolean any = false;
    for (boolean b : region) {
      any |= b;
    }
    if (!any) {
      return new double[] {Double.NaN, Double.NaN};
    }
    float[] blurred = Faithfulness.boxBlur(image, w, h, 7);
    float[] batch = new float[3 * image.length];
    System.arraycopy(image, 0, batch, 0, image.length);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int k = y * w + x;
        batch[image.length + k] = region[k] ? blurred[k] : image[k];
        boolean moved = region[((y + dy) % h) * w + (x + dx) % w];
        batch[2 * image.length + k] = moved ? blurred[k] : image[k];
      }
    }
    Prediction p = model.predict(batch, 3);
    Occlusion.Score logOdds = Occlusion.Score.LOG_ODDS;
    float base = logOdds.of(p, 0, positive);
    return new double[] {base - logOdds.of(p, 1, positive), base - logOdds.of(p, 2, positive)};
  }

  /** Every metric of {@link #METRICS} with its patient-bootstrap interval. */
  public static Map<String, Figure> summarise(List<SliceResult> results, int replicates, long seed) {
    List<String> groups = results.stream().map(r -> r.group().isEmpty() ? r.image() : r.group()).toList();
    Bootstrap bootstrap = new Bootstrap(groups, replicates, seed);
    double[] index = new double[results.size()];
    Arrays.setAll(index, i -> i);
    int[] unused = new int[results.size()];
    Map<String, Figure> out = new LinkedHashMap<>();
    for (String metric : METRICS) {
      var estimate = bootstrap.estimate(index, unused, (picked, labels) -> value(metric, results, picked));
      long slices = Arrays.stream(index).filter(i -> !Double.isNaN(single(metric, results.get((int) i)))).count();
      out.put(metric, new Figure(metric, estimate.value(), estimate.lower(), estimate.upper(), (int) slices));
    }
    return out;
  }

  private static double value(String metric, List<SliceResult> results, double[] picked) {
    if (metric.equals("dice_pooled")) {
      double inter = 0;
      double sizes = 0;
      for (double i : picked) {
        SliceResult r = results.get((int) i);
        inter += r.intersection();
        sizes += r.predicted() + r.truth();
      }
      return sizes == 0 ? Double.NaN : 2 * inter / sizes;
    }
    double sum = 0;
    int n = 0;
    for (double i : picked) {
      double v = single(metric, results.get((int) i));
      if (!Double.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  private static double single(String metric, SliceResult r) {
    return switch (metric) {
      case "dice_pooled", "dice_mean" -> r.dice();
      case "iou_mean" -> r.iou();
      case "pixel_auroc_mean" -> r.pixelAuroc();
      case "pointing_game" -> r.pointing();
      case "energy_in_mask" -> r.energyInMask();
      case "share_abs_error" -> Math.abs(r.predictedShare() - r.maskShare());
      case "faithfulness_lesion_minus_random" -> r.dropLesion() - r.dropRandom();
      default -> throw new IllegalArgumentException("unknown metric " + metric);
    };
  }
}
