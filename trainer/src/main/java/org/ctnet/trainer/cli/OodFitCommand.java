package org.ctnet.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.check.OutOfDistribution;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Fits the model's out-of-distribution flag on the validation slices of its training sources. */
@Command(name = "ood-fit", mixinStandardHelpOptions = true,
    description = {"Fit the out-of-distribution flag: each score (energy, lesion_disagreement, low_confidence) on "
        + "the validation slices of the model's training sources (the same --data and --split-seed as training), "
        + "the chosen one's threshold flagging --share of them, written to <version>/assets.extra/ood.json. "
        + "predict then adds out_of_distribution to input_check where it fires."})
public final class OodFitCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;
  @Mixin DataOptions data;

  @Option(names = "--share", defaultValue = "0.02", description = "Share of validation slices flagged (default "
      + "${DEFAULT-VALUE}).")
  double share;

  @Option(names = "--score", paramLabel = "NAME", description = "energy, lesion_disagreement or low_confidence "
      + "(default: lesion_disagreement for a model with a lesion head, else energy).")
  String score;

  @Override
  public Integer call() throws Exception {
    if (share <= 0 || share >= 0.5) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--share must be in (0, 0.5), got " + share);
    }
    PrintWriter console = spec.commandLine().getOut();
    Path version = model.versionDir();
    try (LoadedModel session = LoadedModel.load(version, SessionOptions.DEFAULT)) {
      OutOfDistribution.Score chosen = score != null ? OutOfDistribution.Score.parse(score)
          : session.hasLesionHead() ? OutOfDistribution.Score.LESION_DISAGREEMENT : OutOfDistribution.Score.ENERGY;
      if (chosen == OutOfDistribution.Score.LESION_DISAGREEMENT && !session.hasLesionHead()) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "lesion_disagreement needs a model with a lesion head");
      }
      Dataset dataset = data.read();
      if (!dataset.classes().equals(session.assets().labels())) {
        dataset = new Dataset(dataset.samples(), session.assets().labels(), dataset.hasGroups(), dataset.source());
      }
      ImageStore images = data.load(data.split(dataset, console).validation(), session.assets().preprocessing(),
          "validation", console);
      int positive = session.assets().positiveClass();
      Map<OutOfDistribution.Score, List<Double>> scores = new EnumMap<>(OutOfDistribution.Score.class);
      for (int start = 0; start < images.size(); start += 32) {
        int m = Math.min(32, images.size() - start);
        Prediction p = session.predict(images.batch(java.util.stream.IntStream.range(start, start + m).toArray()), m);
        for (OutOfDistribution.Score s : OutOfDistribution.Score.values()) {
          if (s.available(p)) {
            for (int i = 0; i < m; i++) {
              scores.computeIfAbsent(s, k -> new ArrayList<>()).add(s.of(p, i, positive));
            }
          }
        }
      }
      console.printf("%d validation slices of %s%n", images.size(), dataset.source());
      Map<String, Double> thresholds = new java.util.LinkedHashMap<>();
      for (var e : scores.entrySet()) {
        double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
        thresholds.put(e.getKey().key(), OutOfDistribution.threshold(v, share));
        console.printf("  %-20s threshold %.6f flags %.1f%%%s%n", e.getKey().key(), thresholds.get(e.getKey().key()),
            100 * share, e.getKey() == chosen ? "  <- chosen" : "");
      }
      double[] v = scores.get(chosen).stream().mapToDouble(Double::doubleValue).toArray();
      double threshold = OutOfDistribution.threshold(v, share);
      long above = java.util.Arrays.stream(v).filter(x -> x > threshold).count();
      var calibration = new OutOfDistribution.Calibration(chosen.key(), threshold, (double) above / v.length, v.length,
          "validation split (seed " + data.splitSeed + ") of " + dataset.source(), thresholds);
      calibration.write(version);
      console.printf("wrote %s: %s above %.6f flags %d of %d validation slices%n",
          version.resolve("assets.extra").resolve(OutOfDistribution.ASSET), chosen.key(), threshold, above, v.length);
      return ExitCode.OK;
    }
  }
}
