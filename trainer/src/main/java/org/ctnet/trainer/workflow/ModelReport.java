package org.ctnet.trainer.workflow;

import org.ctnet.trainer.train.HeldOutScores;
import org.ctnet.trainer.eval.Bootstrap;

import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.assets.ScanRule;
import org.ctnet.trainer.eval.DecisionRule;
import org.ctnet.trainer.eval.ScanEvaluation;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.eval.Evaluation;
import org.ctnet.trainer.eval.Report;
import org.ctnet.trainer.eval.EpochRecord;
import org.ctnet.trainer.train.Trainer;

/** Evaluation of validation and test sets at the model's locked decision, and the report files. */
public final class ModelReport {
  /** The assets with the scan decision locked on validation, and every evaluation written. */
  public record Result(ModelAssets assets, List<Evaluation> evaluations) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelReport() {}

  /**
   * @param details what metrics.json says of the run besides the evaluations (a record such as
   *     {@link Publication.TrainingRecord}, or a map)
   */
  public static Result evaluateAndWrite(Predictor model, ModelAssets assets, ImageStore validation, ImageStore test,
      double targetSensitivity, int bootstrap, List<EpochRecord> history, String modelName, Object details, Path reportDir,
      PrintWriter out) throws IOException {
    HeldOutScores val = HeldOutScores.of(model, validation, 32);
    // The decision was locked with the calibration (Calibrator); say so loudly when it had to fall back.
    ModelAssets locked = assets;
    if (locked.decision().chosenFor().startsWith("FALLBACK")) {
      out.println("warning: degenerate threshold; " + locked.decision().chosenFor());
    }
    if (validation.size() > 0) {
      // The scan-level threshold, locked on validation scans (groups) the way the slice one is on slices.
      List<String> valGroups = validation.dataset().samples().stream().map(s -> s.group()).toList();
      ScanEvaluation.Scans scans = ScanEvaluation.scans(val.positiveScores(), val.labels(), valGroups, ScanRule.DEFAULT);
      ModelAssets.Decision scanLock = DecisionRule.lock(scans.scores(), scans.labels(), targetSensitivity, "scans");
      locked = locked.withScanDecision(new ModelAssets.ScanDecision(ScanRule.DEFAULT, scanLock.threshold(),
          scanLock.chosenFor()));
      out.printf("scan decision: %s ≥ %.4f (%s)%n", ScanRule.DEFAULT.description(), scanLock.threshold(),
          locked.scanDecision().chosenFor());
    }
    List<Evaluation> evaluations = new ArrayList<>();
    Map<String, double[][]> scores = new LinkedHashMap<>();
    for (var part : List.of(Map.entry("validation", validation), Map.entry("test", test))) {
      if (part.getValue().size() == 0) {
        continue;
      }
      HeldOutScores e = part.getKey().equals("validation") ? val : HeldOutScores.of(model, part.getValue(), 32);
      List<String> groups = part.getValue().dataset().samples().stream().map(s -> s.group()).toList();
      Evaluation evaluation = Evaluation.of(part.getKey(), e.positiveScores(), e.labels(), groups,
          locked.decision().threshold(), bootstrap, Bootstrap.SEED);
      evaluations.add(evaluation);
      Evaluation byScan = ScanEvaluation.evaluate(part.getKey(), e.positiveScores(), e.labels(), groups, ScanRule.DEFAULT,
          locked.effectiveScanDecision().threshold(), bootstrap, Bootstrap.SEED);
      evaluations.add(byScan);
      scores.put(part.getKey(), new double[][] {e.positiveScores(), java.util.Arrays.stream(e.labels()).asDoubleStream().toArray()});
      out.println(evaluation.summary());
      out.println(byScan.summary());
      List<String> sources = part.getValue().dataset().samples().stream().map(s -> s.source()).distinct().sorted().toList();
      if (part.getKey().equals("test") && sources.size() > 1) {
        // Several sources: each one's figures too, so a small source is not hidden by a large one.
        for (String source : sources) {
          int[] idx = java.util.stream.IntStream.range(0, part.getValue().size())
              .filter(i -> part.getValue().sample(i).source().equals(source)).toArray();
          Evaluation bySource = Evaluation.of("test " + source,
              java.util.Arrays.stream(idx).mapToDouble(i -> e.positiveScores()[i]).toArray(),
              java.util.Arrays.stream(idx).map(i -> e.labels()[i]).toArray(),
              java.util.Arrays.stream(idx).mapToObj(groups::get).toList(), locked.decision().threshold(), bootstrap, Bootstrap.SEED);
          evaluations.add(bySource);
          out.println(bySource.summary());
        }
      }
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    JSON.convertValue(details, Map.class).forEach((k, v) -> extra.put(String.valueOf(k), v));
    extra.put("decision", locked.decision());
    extra.put("calibration", locked.calibration());
    extra.put("scan_decision", locked.effectiveScanDecision());
    extra.put("labels", locked.labels());
    Report.write(reportDir, "CT-Net evaluation — " + modelName, evaluations, scores, history, extra);
    out.println("report: " + reportDir.resolve(Report.HTML));
    return new Result(locked, evaluations);
  }

  /** Copies the report's files (not folders) into {@code to}. */
  public static void copyInto(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }
}
