package org.ctnet.trainer.cli;

import org.ctnet.trainer.data.ImageLimits;

import org.ctnet.graph.runtime.Predictor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.LesionMaps;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.LungField;
import org.ctnet.graph.render.HeatmapRenderer;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.trainer.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Folder → overlay PNGs and raw maps for every selected CAM method. */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = "Write heatmap overlays (PNG) and raw maps (float32, little-endian, H×W) for images.")
public final class ExplainCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Option(names = "--input", required = true, paramLabel = "PATH", description = "Image file, folder or manifest.csv.")
  Path input;

  @Option(names = "--out", defaultValue = "explanations", paramLabel = "DIR", description = "Output folder (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--methods", split = ",", defaultValue = "gradcampp",
      description = "Maps: gradcam, gradcampp, hirescam, layercam, xgradcam, attention, lesion (the lesion head's map, "
          + "models with a lesion head only), or all (default ${DEFAULT-VALUE}).")
  List<String> methods;

  @Option(names = "--class-index", defaultValue = "-1", description = "Class to explain; -1 = the predicted class (default).")
  int classIndex;

  @Option(names = "--opacity", defaultValue = "0.5", description = "Heatmap opacity in the overlays (default ${DEFAULT-VALUE}).")
  double opacity;

  @Option(names = "--smooth", description = "Average each map with the map of the mirrored image (test-time smoothing).")
  boolean smooth;

  @Option(names = "--lungs", description = "Restrict each map to the slice's lung field (classic image processing, "
      + "not the model: zero outside, renormalised; unchanged where no lung field is found). The maps without it are the model's.")
  boolean lungs;

  @Override
  public Integer call() throws Exception {
    List<Path> files = Inputs.list(input);
    if (files.isEmpty()) {
      throw new IOException("no images found at " + input);
    }
    Files.createDirectories(out);
    try (LoadedModel session = LoadedModel.load(model.versionDir(), SessionOptions.DEFAULT);
        Progress progress = new Progress("explain", files.size(), spec.commandLine().getOut())) {
      boolean lesion = wantsLesion(methods, session);
      List<CamMethod> chosen = chooseMethods(methods.stream().filter(m -> !m.trim().equalsIgnoreCase(LESION)).toList(),
          session);
      ModelAssets assets = session.assets();
      ImagePreprocessor pre = new ImagePreprocessor(assets.preprocessing(), ImageLimits.MAX_PIXELS);
      int w = assets.spec().inputWidth();
      int h = assets.spec().inputHeight();
      List<Map<String, Object>> summary = new ArrayList<>();
      for (Path f : files) {
        // One row per image; its members depend on the methods chosen, so a map.
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("path", f.toString());
        try {
          float[] image = pre.toModelInput(Files.readAllBytes(f));
          int[] classes = {classIndex};
          Explanation e = smooth ? org.ctnet.graph.runtime.Smoothing.flipAveraged(session, image, 1, classes)
              : session.explain(image, 1, classes);
          // −1 explains the class served as the label (the locked decision's), as the server does.
          int[] again = org.ctnet.graph.runtime.DecisionExplanation.secondRun(session.assets(), classes, e);
          if (again != null) {
            e = smooth ? org.ctnet.graph.runtime.Smoothing.flipAveraged(session, image, 1, again)
                : session.explain(image, 1, again);
          }
          row.put("label", session.assets().decisionLabel(e.prediction().probabilities()[0][session.assets().positiveClass()]));
          row.put("probabilities", e.prediction().probabilities()[0]);
          row.put("target_class", assets.labels().get(e.targetClass()[0]));
          String stem = Inputs.stem(f);
          float[] grey = org.ctnet.trainer.explain.ExplainEvaluation.grey(image, assets);
          LungField field = lungs ? LungField.find(grey, w, h) : null;
          if (field != null) {
            row.put("lung_field_found", field.found());
            row.put("lung_field_area_fraction", field.areaFraction());
          }
          for (CamMethod m : chosen) {
            Explanation.Maps maps = e.maps().get(m);
            float[] heat = field == null ? maps.heatmap()[0] : field.constrain(maps.heatmap()[0]);
            Files.write(out.resolve(stem + "." + m.key() + ".png"), HeatmapRenderer.png(grey, heat, w, h, opacity));
            writeFloats(out.resolve(stem + "." + m.key() + ".f32"), heat);
            row.put(m.key() + "_has_evidence", maps.hasEvidence()[0]);
          }
          if (lesion) {
            LesionMaps p = session.predict(image, 1).lesion();
            float[] map = p.lesionMaps()[0];
            Files.write(out.resolve(stem + "." + LESION + ".png"), HeatmapRenderer.lesionPng(grey, map, w, h, opacity));
            writeFloats(out.resolve(stem + "." + LESION + ".f32"), map);
            row.put("lung_involvement", p.involvement()[0]);
            row.put("severity", p.severityOf(0).code());
          }
        } catch (IOException e) {
          row.put("error", e.getMessage());
        }
        summary.add(row);
        progress.step(1, "");
      }
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("explanations.json").toFile(),
          new ExplanationsFile(model.versionDir().toString(), h, w, summary));
      spec.commandLine().getOut().println("wrote " + out);
      return ExitCode.OK;
    }
  }

  /** explanations.json: the model, the map size, one row per image. */
  record ExplanationsFile(String model, int height, int width, List<Map<String, Object>> images) {}

  /** The lesion head's map, asked for by name (or by "all" on a model that has one). */
  static final String LESION = org.ctnet.trainer.explain.ExplainEvaluation.LESION;

  static boolean wantsLesion(List<String> names, Predictor session) {
    boolean all = names.size() == 1 && names.get(0).trim().equalsIgnoreCase("all");
    boolean named = names.stream().anyMatch(n -> n.trim().equalsIgnoreCase(LESION));
    if (named && !session.hasLesionHead()) {
      throw new IllegalArgumentException("this model has no lesion head, so no 'lesion' map (has "
          + session.camMethods().stream().map(CamMethod::key).toList() + ")");
    }
    return named || (all && session.hasLesionHead());
  }

  static List<CamMethod> chooseMethods(List<String> names, Predictor session) {
    if (names.isEmpty()) {
      return List.of();
    }
    if (names.size() == 1 && names.get(0).equalsIgnoreCase("all")) {
      return session.camMethods();
    }
    List<CamMethod> out = new ArrayList<>();
    for (String n : names) {
      CamMethod m = CamMethod.fromKey(n.trim());
      if (!session.camMethods().contains(m)) {
        throw new IllegalArgumentException("this model's explain signature has no '" + m.key() + "' map (has "
            + session.camMethods().stream().map(CamMethod::key).toList() + ")");
      }
      out.add(m);
    }
    return out;
  }

  static void writeFloats(Path file, float[] values) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    Files.write(file, b.array());
  }
}
