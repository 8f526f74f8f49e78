package org.ctnet.trainer.cli;

import org.ctnet.trainer.data.ImageLimits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.assets.ModelAssets;
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
import org.ctnet.trainer.data.MaskedSlices;
import org.ctnet.trainer.eval.Report;
import org.ctnet.trainer.explain.ExplainEvalReport;
import org.ctnet.trainer.explain.Faithfulness;
import org.ctnet.trainer.explain.MapMetrics;
import org.ctnet.trainer.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Heatmaps against radiologist masks, per method, with baselines. */
@Command(name = "explain-eval", mixinStandardHelpOptions = true,
    description = "Score heatmaps against binary infection masks: pointing game, energy in mask, top-k IoU/Dice, pixel AUROC, ROAD-like faithfulness.")
public final class ExplainEvalCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Mixin MaskedDataOptions masked;

  @Option(names = "--out", defaultValue = "explain-eval", paramLabel = "DIR", description = "Report folder (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--top-fraction", defaultValue = "0.15", description = "Heatmap region for IoU/Dice: top share of pixels (default ${DEFAULT-VALUE}).")
  double topFraction;

  @Option(names = "--removal-fraction", defaultValue = "0.1", description = "Share of pixels removed in the faithfulness check (default ${DEFAULT-VALUE}).")
  double removalFraction;

  @Option(names = "--occlusion", description = "Also score sliding-window occlusion (window 1/7 of the image, stride half a window).")
  boolean occlusion;

  @Option(names = "--lungs",
      description = "Also score every gradient method restricted to the slice's lung field (<method>+lungs rows).")
  boolean lungs;

  @Option(names = "--fuse-layers", split = ",", paramLabel = "LAYER",
      description = "Also score LayerCAM fused over these layers (mean of each layer's normalised map at the input "
          + "resolution, Jiang et al. 2021), e.g. stage2/unit2,stage3/unit1 (rebuilds the model once per layer).")
  List<String> fuseLayers = new ArrayList<>();

  @Option(names = "--grid-images", defaultValue = "12", description = "Images shown in the HTML grid (default ${DEFAULT-VALUE}).")
  int gridImages;

  /** LayerCAM fused over --fuse-layers. */
  static final String FUSION = "layercam-fusion";
  /** Suffix of a method's map restricted to the lung field. */
  static final String LUNG_SUFFIX = "+lungs";

  private static final String[] METRICS = {"pointing_game", "energy_in_mask", "iou_top", "dice_top", "pixel_auroc",
      "faithfulness_drop_most", "faithfulness_drop_least", "faithfulness_gap"};

  @Override
  public Integer call() throws Exception {
    List<MaskedSlices.Slice> rows = masked.slices();
    Files.createDirectories(out);
    List<ModelSession> layerSessions = new ArrayList<>();
    try (LoadedModel session = LoadedModel.load(model.versionDir(), SessionOptions.DEFAULT);
        AutoCloseable closeLayers = () -> layerSessions.forEach(ModelSession::close);
        Progress progress = new Progress("explain-eval", rows.size(), spec.commandLine().getOut())) {
      for (String layer : fuseLayers) {
        layerSessions.add(ModelSession.rebuild(model.versionDir(), TrainingSpec.defaults(OptimizerKind.ADAM),
            SessionOptions.DEFAULT, layer.trim()));
      }
      ModelAssets assets = session.assets();
      int w = assets.spec().inputWidth();
      int h = assets.spec().inputHeight();
      int target = assets.positiveClass();
      ImagePreprocessor pre = new ImagePreprocessor(assets.preprocessing(), ImageLimits.MAX_PIXELS);
      List<String> methods = new ArrayList<>();
      session.camMethods().forEach(m -> methods.add(m.key()));
      if (session.hasLesionHead()) {
        methods.add(ExplainCommand.LESION); // the lesion head's own map, beside the CAMs
      }
      if (occlusion) {
        methods.add("occlusion");
      }
      // The same maps restricted to the lung field (LungField): how much of the miss is outside the lungs.
      List<CamMethod> constrained = lungs
          ? session.camMethods().stream().filter(CamMethod::gradientBased).toList() : List.of();
      constrained.forEach(m -> methods.add(m.key() + LUNG_SUFFIX));
      if (!layerSessions.isEmpty()) {
        methods.add(FUSION);
        if (lungs) {
          methods.add(FUSION + LUNG_SUFFIX);
        }
      }
      methods.add("baseline_centre_gaussian");
      methods.add("baseline_random");
      Map<String, double[]> sums = new LinkedHashMap<>();
      Map<String, int[]> counts = new LinkedHashMap<>();
      methods.forEach(m -> {
        sums.put(m, new double[METRICS.length]);
        counts.put(m, new int[METRICS.length]);
      });
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
        Explanation e = session.explain(image, 1, new int[] {target});
        probabilitySum += e.prediction().probabilities()[0][target];
        Map<String, float[]> maps = new LinkedHashMap<>();
        for (CamMethod m : session.camMethods()) {
          maps.put(m.key(), e.maps().get(m).heatmap()[0]);
        }
        if (session.hasLesionHead()) {
          maps.put(ExplainCommand.LESION, session.predict(image, 1).lesion().lesionMaps()[0]);
        }
        if (occlusion) {
          // A window of a seventh of the image (32 px at 224), moved by half a window.
          int window = Math.max(4, Math.min(w, h) / 7);
          maps.put("occlusion", Occlusion.run(session, image, target,
              new Occlusion.Settings(window, Math.max(1, window / 2), 0f, 32, Occlusion.Score.LOG_ODDS), d -> { }).normalised());
        }
        float[] grey = ExplainCommand.grey(image, assets);
        LungField field = LungField.find(grey, w, h);
        lungsFound += field.found() ? 1 : 0;
        lungAreaSum += field.areaFraction();
        for (CamMethod m : constrained) {
          maps.put(m.key() + LUNG_SUFFIX, field.constrain(maps.get(m.key())));
        }
        if (!layerSessions.isEmpty()) {
          float[] fused = new float[w * h];
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
          maps.put(FUSION, fused);
          if (lungs) {
            maps.put(FUSION + LUNG_SUFFIX, field.constrain(fused));
          }
        }
        maps.put("baseline_centre_gaussian", MapMetrics.centreGaussian(w, h));
        maps.put("baseline_random", MapMetrics.randomMap(w, h, 1000 + r));
        if (used <= gridImages) {
          grid.append("<tr><td>").append(Report.escape(masked.data.relativize(row.image()).toString())).append("<br>")
              .append(ExplainEvalReport.img(HeatmapRenderer.pngWithContour(grey, new float[grey.length], mask, w, h, 0))).append("</td>");
        }
        for (var m : maps.entrySet()) {
          float[] heat = m.getValue();
          boolean[] top = MapMetrics.topRegion(heat, topFraction);
          Faithfulness.Result f = Faithfulness.measure(session, image, heat, target, removalFraction);
          double[] values = {MapMetrics.pointingGame(heat, mask), MapMetrics.energyInMask(heat, mask),
              MapMetrics.iou(top, mask), MapMetrics.dice(top, mask), MapMetrics.pixelAuroc(heat, mask),
              f.dropMostRelevant(), f.dropLeastRelevant(), f.gap()};
          for (int k = 0; k < values.length; k++) {
            if (!Double.isNaN(values[k])) {
              sums.get(m.getKey())[k] += values[k];
              counts.get(m.getKey())[k]++;
            }
          }
          if (used <= gridImages) {
            grid.append("<td>").append(ExplainEvalReport.img(HeatmapRenderer.pngWithContour(grey, heat, mask, w, h, 0.5))).append("</td>");
          }
        }
        if (used <= gridImages) {
          grid.append("</tr>\n");
        }
        progress.step(1, "");
      }
      Map<String, Map<String, Double>> table = new LinkedHashMap<>();
      for (String m : methods) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (int k = 0; k < METRICS.length; k++) {
          values.put(METRICS[k], counts.get(m)[k] == 0 ? Double.NaN : sums.get(m)[k] / counts.get(m)[k]);
        }
        table.put(m, values);
      }
      ExplainEvalReport.Summary summary = new ExplainEvalReport.Summary(model.versionDir().toString(), masked.data.toString(),
          masked.groupsLabel(), masked.orientationFix, used, empty, used == 0 ? Double.NaN : areaSum / used,
          assets.labels().get(target), used == 0 ? Double.NaN : probabilitySum / used, lungsFound,
          used == 0 ? Double.NaN : lungAreaSum / used, topFraction, removalFraction, assets.spec().effectiveCamLayer(),
          fuseLayers, table);
      ExplainEvalReport.write(out, summary, List.of(METRICS), grid.toString());
      spec.commandLine().getOut().printf("%-26s", "method");
      for (String k : METRICS) {
        spec.commandLine().getOut().printf(" %12s", k.length() > 12 ? k.substring(0, 12) : k);
      }
      spec.commandLine().getOut().println();
      table.forEach((m, v) -> {
        spec.commandLine().getOut().printf("%-26s", m);
        v.values().forEach(x -> spec.commandLine().getOut().printf(" %12.3f", x));
        spec.commandLine().getOut().println();
      });
      spec.commandLine().getOut().println("wrote " + out.resolve(ExplainEvalReport.JSON_FILE) + " and "
          + out.resolve(ExplainEvalReport.HTML_FILE));
      return ExitCode.OK;
    }
  }
}
