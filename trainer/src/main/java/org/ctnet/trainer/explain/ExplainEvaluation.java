package org.ctnet.trainer.explain;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.LungField;
import org.ctnet.graph.render.HeatmapRenderer;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.Occlusion;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.ctnet.trainer.data.ImageLimits;
import org.ctnet.trainer.data.MaskedSlices;
import org.ctnet.trainer.eval.Report;
import org.ctnet.trainer.train.Progress;

/**
 * Heatmaps against infection masks (what {@code ctnet explain-eval} runs): each method's map of the
 * positive class on every masked slice, scored by {@link MapMetrics} and {@link Faithfulness}, with the
 * lesion head's map, occlusion, lung-restricted maps and fused LayerCAM where asked, and two baselines;
 * the mean per method and an HTML grid of the first slices.
 */
public final class ExplainEvaluation {
  /** The lesion head's map among the methods. */
  public static final String LESION = "lesion";
  /** LayerCAM fused over several layers. */
  public static final String FUSION = "layercam-fusion";
  /** Suffix of a method's map restricted to the lung field. */
  public static final String LUNG_SUFFIX = "+lungs";
  public static final List<String> METRICS = List.of("pointing_game", "energy_in_mask", "iou_top", "dice_top",
      "pixel_auroc", "faithfulness_drop_most", "faithfulness_drop_least", "faithfulness_gap");

  /**
   * @param topFraction heatmap region for IoU/Dice: top share of pixels
   * @param removalFraction share of pixels removed in the faithfulness check
   * @param occlusion also score sliding-window occlusion
   * @param lungs also score every gradient method restricted to the lung field
   * @param fuseLayers layers LayerCAM is fused over (none: no fusion)
   * @param gridImages slices shown in the HTML grid
   */
  public record Settings(double topFraction, double removalFraction, boolean occlusion, boolean lungs,
      List<String> fuseLayers, int gridImages) {}

  /** What the report needs beside the table: where the data came from. */
  public record Source(Path version, Path dataRoot, String groups, boolean orientationFix) {}

  private final Settings settings;
  private final LoadedModel session;
  private final List<ModelSession> layerSessions;
  private final ModelAssets assets;
  private final int width;
  private final int height;
  private final int target;
  private final List<String> methods = new ArrayList<>();
  private final List<CamMethod> constrained;
  private final Map<String, double[]> sums = new LinkedHashMap<>();
  private final Map<String, int[]> counts = new LinkedHashMap<>();

  private ExplainEvaluation(Settings settings, LoadedModel session, List<ModelSession> layerSessions) {
    this.settings = settings;
    this.session = session;
    this.layerSessions = layerSessions;
    this.assets = session.assets();
    this.width = assets.spec().inputWidth();
    this.height = assets.spec().inputHeight();
    this.target = assets.positiveClass();
    session.camMethods().forEach(m -> methods.add(m.key()));
    if (session.hasLesionHead()) {
      methods.add(LESION); // the lesion head's own map, beside the CAMs
    }
    if (settings.occlusion()) {
      methods.add("occlusion");
    }
    // The same maps restricted to the lung field (LungField): how much of the miss is outside the lungs.
    constrained = settings.lungs() ? session.camMethods().stream().filter(CamMethod::gradientBased).toList() : List.of();
    constrained.forEach(m -> methods.add(m.key() + LUNG_SUFFIX));
    if (!layerSessions.isEmpty()) {
      methods.add(FUSION);
      if (settings.lungs()) {
        methods.add(FUSION + LUNG_SUFFIX);
      }
    }
    methods.add("baseline_centre_gaussian");
    methods.add("baseline_random");
    methods.forEach(m -> {
      sums.put(m, new double[METRICS.size()]);
      counts.put(m, new int[METRICS.size()]);
    });
  }

  /** Scores every slice of {@code rows} and writes the report into {@code out}; returns its summary. */
  public static ExplainEvalReport.Summary run(Source source, List<MaskedSlices.Slice> rows, Settings settings, Path out,
      PrintWriter log) throws IOException {
    List<ModelSession> layerSessions = new ArrayList<>();
    try (LoadedModel session = LoadedModel.load(source.version(), SessionOptions.DEFAULT);
        Progress progress = new Progress("explain-eval", rows.size(), log)) {
      for (String layer : settings.fuseLayers()) {
        layerSessions.add(ModelSession.rebuild(source.version(), TrainingSpec.defaults(OptimizerKind.ADAM),
            SessionOptions.DEFAULT, layer.trim()));
      }
      return new ExplainEvaluation(settings, session, layerSessions).score(source, rows, out, progress);
    } finally {
      layerSessions.forEach(ModelSession::close);
    }
  }

  private ExplainEvalReport.Summary score(Source source, List<MaskedSlices.Slice> rows, Path out, Progress progress)
      throws IOException {
    ImagePreprocessor pre = new ImagePreprocessor(assets.preprocessing(), ImageLimits.MAX_PIXELS);
    int empty = 0;
    int used = 0;
    double areaSum = 0;
    double probabilitySum = 0;
    int lungsFound = 0;
    double lungAreaSum = 0;
    StringBuilder grid = new StringBuilder();
    for (int r = 0; r < rows.size(); r++) {
      MaskedSlices.Slice row = rows.get(r);
      MaskedSlices.ModelView view = MaskedSlices.read(row, pre);
      float[] image = view.input();
      boolean[] mask = view.mask();
      double area = MapMetrics.areaFraction(mask);
      if (area == 0) {
        empty++;
        progress.step(1, "empty mask skipped");
        continue;
      }
      used++;
      areaSum += area;
      float[] grey = grey(image, assets);
      LungField field = LungField.find(grey, width, height);
      lungsFound += field.found() ? 1 : 0;
      lungAreaSum += field.areaFraction();
      Explanation e = session.explain(image, 1, new int[] {target});
      probabilitySum += e.prediction().probabilities()[0][target];
      Map<String, float[]> maps = maps(image, e, field, r);
      boolean shown = used <= settings.gridImages();
      if (shown) {
        grid.append("<tr><td>").append(Report.escape(source.dataRoot().relativize(row.image()).toString())).append("<br>")
            .append(ExplainEvalReport.img(HeatmapRenderer.pngWithContour(grey, new float[grey.length], mask, width, height,
                0))).append("</td>");
      }
      for (var m : maps.entrySet()) {
        accumulate(m.getKey(), measure(image, m.getValue(), mask));
        if (shown) {
          grid.append("<td>").append(ExplainEvalReport.img(HeatmapRenderer.pngWithContour(grey, m.getValue(), mask, width,
              height, 0.5))).append("</td>");
        }
      }
      if (shown) {
        grid.append("</tr>\n");
      }
      progress.step(1, "");
    }
    ExplainEvalReport.Summary summary = new ExplainEvalReport.Summary(source.version().toString(),
        source.dataRoot().toString(), source.groups(), source.orientationFix(), used, empty,
        used == 0 ? Double.NaN : areaSum / used, assets.labels().get(target),
        used == 0 ? Double.NaN : probabilitySum / used, lungsFound, used == 0 ? Double.NaN : lungAreaSum / used,
        settings.topFraction(), settings.removalFraction(), assets.spec().effectiveCamLayer(), settings.fuseLayers(),
        table());
    ExplainEvalReport.write(out, summary, METRICS, grid.toString());
    return summary;
  }

  /** Every method's map of one slice, in the order of {@link #methods}. */
  private Map<String, float[]> maps(float[] image, Explanation e, LungField field, int row) {
    Map<String, float[]> maps = new LinkedHashMap<>();
    for (CamMethod m : session.camMethods()) {
      maps.put(m.key(), e.maps().get(m).heatmap()[0]);
    }
    if (session.hasLesionHead()) {
      maps.put(LESION, session.predict(image, 1).lesion().lesionMaps()[0]);
    }
    if (settings.occlusion()) {
      // A window of a seventh of the image (32 px at 224), moved by half a window.
      int window = Math.max(4, Math.min(width, height) / 7);
      maps.put("occlusion", Occlusion.run(session, image, target,
          new Occlusion.Settings(window, Math.max(1, window / 2), 0f, 32, Occlusion.Score.LOG_ODDS), d -> { })
          .normalised());
    }
    for (CamMethod m : constrained) {
      maps.put(m.key() + LUNG_SUFFIX, field.constrain(maps.get(m.key())));
    }
    if (!layerSessions.isEmpty()) {
      float[] fused = fusedLayerCam(image);
      maps.put(FUSION, fused);
      if (settings.lungs()) {
        maps.put(FUSION + LUNG_SUFFIX, field.constrain(fused));
      }
    }
    maps.put("baseline_centre_gaussian", MapMetrics.centreGaussian(width, height));
    maps.put("baseline_random", MapMetrics.randomMap(width, height, 1000 + row));
    return maps;
  }

  /** The mean of each layer's LayerCAM, normalised to a maximum of 1 (Jiang et al. 2021). */
  private float[] fusedLayerCam(float[] image) {
    float[] fused = new float[width * height];
    for (ModelSession layer : layerSessions) {
      float[] heat = layer.explain(image, 1, new int[] {target}).maps().get(CamMethod.LAYER_CAM).heatmap()[0];
      for (int p = 0; p < fused.length; p++) {
        fused[p] += heat[p] / layerSessions.size();
      }
    }
    float max = 0;
    for (float v : fused) {
      max = Math.max(max, v);
    }
    for (int p = 0; max > 0 && p < fused.length; p++) {
      fused[p] /= max;
    }
    return fused;
  }

  /** The metrics of one map against one mask, in the order of {@link #METRICS}. */
  private double[] measure(float[] image, float[] heat, boolean[] mask) {
    boolean[] top = MapMetrics.topRegion(heat, settings.topFraction());
    Faithfulness.Result f = Faithfulness.measure(session, image, heat, target, settings.removalFraction());
    return new double[] {MapMetrics.pointingGame(heat, mask), MapMetrics.energyInMask(heat, mask),
        MapMetrics.iou(top, mask), MapMetrics.dice(top, mask), MapMetrics.pixelAuroc(heat, mask),
        f.dropMostRelevant(), f.dropLeastRelevant(), f.gap()};
  }

  private void accumulate(String method, double[] values) {
    for (int k = 0; k < values.length; k++) {
      if (!Double.isNaN(values[k])) {
        sums.get(method)[k] += values[k];
        counts.get(method)[k]++;
      }
    }
  }

  /** The mean of each metric per method (NaN where no slice gave one). */
  private Map<String, Map<String, Double>> table() {
    Map<String, Map<String, Double>> table = new LinkedHashMap<>();
    for (String m : methods) {
      Map<String, Double> values = new LinkedHashMap<>();
      for (int k = 0; k < METRICS.size(); k++) {
        values.put(METRICS.get(k), counts.get(m)[k] == 0 ? Double.NaN : sums.get(m)[k] / counts.get(m)[k]);
      }
      table.put(m, values);
    }
    return table;
  }

  /** The first channel of a model input: the grey image the overlays are drawn on. */
  public static float[] grey(float[] image, ModelAssets assets) {
    int c = assets.spec().inputChannels();
    float[] g = new float[image.length / c];
    for (int i = 0; i < g.length; i++) {
      g[i] = image[i * c];
    }
    return g;
  }
}
