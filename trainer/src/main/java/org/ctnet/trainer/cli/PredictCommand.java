package org.ctnet.trainer.cli;

import org.ctnet.trainer.data.ImageLimits;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.check.OutOfDistribution;
import org.ctnet.graph.runtime.LesionMaps;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.trainer.batch.Shard;
import org.ctnet.trainer.batch.ShardOutput;
import org.ctnet.trainer.data.Csv;
import org.ctnet.trainer.workflow.ScanPrediction;
import org.ctnet.trainer.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Scores images → CSV with the probability and the label at the locked threshold; or whole scans. */
@Command(name = "predict", mixinStandardHelpOptions = true,
    description = {"Score a folder of images, a manifest or single files; write path, probability and label at the model's locked threshold.",
        "With --scans: a folder or zip of DICOM series (and/or one folder of PNG/JPEG slices per scan) becomes one verdict "
            + "per scan (--scan-output) beside the per-slice CSV (--output)."})
public final class PredictCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Option(names = "--input", required = true, paramLabel = "PATH", description = "Image file, folder (searched recursively) or manifest.csv.")
  Path input;

  @Option(names = "--output", defaultValue = "predictions.csv", paramLabel = "FILE", description = "CSV to write (default ${DEFAULT-VALUE}).")
  Path output;

  @Option(names = "--strict", description = "Refuse images that fail an input check (no probability, the reasons in "
      + "the error column) instead of scoring them with the reasons in input_check.")
  boolean strict;

  @Option(names = "--batch-size", defaultValue = "16", description = "Images per session run (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--scans", description = "Score whole scans: DICOM files grouped into series (localisers, other "
      + "modalities and non-axial series reported and left out), PNG/JPEG slices one scan per folder.")
  boolean scans;

  @Option(names = "--scan-output", defaultValue = "scans.csv", paramLabel = "FILE",
      description = "With --scans: one row per scan (default ${DEFAULT-VALUE}); an HTML report beside it (scans.html).")
  Path scanOutput;

  @Option(names = "--shard", paramLabel = "INDEX/COUNT", converter = ShardConverter.class,
      description = "Score only part INDEX (0-based) of COUNT: the sorted images i with i mod COUNT = INDEX, or with "
          + "--scans the input folder's entries (scan sub-folders, zips) likewise; e.g. a Kubernetes indexed Job's "
          + "completion index. Merge the parts with 'ctnet merge'.")
  Shard shard = Shard.WHOLE;

  @Option(names = "--resume", description = "Outputs are written under a .partial name and renamed when complete: "
      + "with --resume a complete output is kept as it is, and the images of a .partial one are not scored again.")
  boolean resume;

  static final class ShardConverter extends ParsingConverter<Shard> {
    ShardConverter() {
      super(Shard::parse);
    }
  }

  @Override
  public Integer call() throws Exception {
    java.io.PrintWriter say = spec.commandLine().getOut();
    Path done = scans ? scanOutput : output;
    if (resume && Files.exists(done)) {
      say.printf("%s is complete (shard %s): nothing to do%n", done, shard);
      return ExitCode.OK;
    }
    return scans ? scoreScans(say) : scoreImages(say);
  }

  private int scoreScans(java.io.PrintWriter say) throws IOException {
    try (LoadedModel session = LoadedModel.load(model.versionDir(), SessionOptions.DEFAULT)) {
      var outcome = shard.equals(Shard.WHOLE)
          ? ScanPrediction.run(session, input, ShardOutput.staging(output), ShardOutput.staging(scanOutput), say)
          : ScanPrediction.run(session, shard.select(ScanPrediction.entries(input)), ShardOutput.staging(output),
              ShardOutput.staging(scanOutput), say);
      Files.move(ScanPrediction.reportFor(ShardOutput.staging(scanOutput)), ScanPrediction.reportFor(scanOutput),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      ShardOutput.publish(output);
      ShardOutput.publish(scanOutput);
      say.printf("wrote %s (%d scans), %s (the report) and %s (slices; %d files left out)%n",
          scanOutput, outcome.scans().size(), ScanPrediction.reportFor(scanOutput), output, outcome.skipped().size());
      if (outcome.scans().isEmpty() && shard.equals(Shard.WHOLE)) {
        spec.commandLine().getErr().println("error: no scan found at " + input);
        return ExitCode.FAILED;
      }
      return ExitCode.OK;
    }
  }

  /** Rows of a .partial output that are whole (a killed run may leave a cut last line); rewritten in place. */
  private static java.util.Set<Path> keepWholeRows(Path staging, int columns) throws IOException {
    java.util.Set<Path> scored = new java.util.HashSet<>();
    if (!Files.exists(staging)) {
      return scored;
    }
    String text = Files.readString(staging, StandardCharsets.UTF_8);
    int end = text.lastIndexOf('\n');
    Path kept = staging.resolveSibling(staging.getFileName() + ".tmp");
    Files.writeString(kept, end < 0 ? "" : text.substring(0, end + 1), StandardCharsets.UTF_8);
    List<String[]> rows = Csv.read(kept);
    for (int i = 1; i < rows.size(); i++) {
      if (rows.get(i).length != columns) {
        throw new IOException("cannot resume from " + staging + ": row " + (i + 1) + " has " + rows.get(i).length
            + " fields, not " + columns + " (delete it to start the shard over)");
      }
      scored.add(Path.of(rows.get(i)[0]));
    }
    Files.move(kept, staging, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return scored;
  }

  private int scoreImages(java.io.PrintWriter say) throws IOException {
    List<Path> all = Inputs.list(input);
    if (all.isEmpty()) {
      spec.commandLine().getErr().println("error: no images found at " + input);
      return ExitCode.FAILED;
    }
    Path staging = ShardOutput.staging(output);
    java.util.Set<Path> scored = resume ? keepWholeRows(staging, COLUMNS.length) : java.util.Set.of();
    boolean header = scored.isEmpty();
    if (!resume) {
      Files.deleteIfExists(staging);
    }
    List<Path> files = shard.select(all).stream().filter(f -> !scored.contains(f)).toList();
    if (!scored.isEmpty()) {
      say.printf("resuming %s: %d images already scored, %d to go%n", staging, scored.size(), files.size());
    }
    int failed = 0;
    int flagged = 0;
    int refused = 0;
    try (LoadedModel session = LoadedModel.load(model.versionDir(), SessionOptions.DEFAULT);
        Writer out = Files.newBufferedWriter(staging, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
        Progress progress = new Progress("predict " + shard, files.size(), say)) {
      ModelAssets assets = session.assets();
      ImagePreprocessor pre = new ImagePreprocessor(assets.preprocessing(), ImageLimits.MAX_PIXELS);
      String positiveLabel = assets.labels().get(assets.positiveClass());
      var ood = OutOfDistribution.Calibration.read(model.versionDir());
      if (header) {
        out.write(Csv.row(COLUMNS[0], COLUMNS[1] + positiveLabel, COLUMNS[2], COLUMNS[3], COLUMNS[4], COLUMNS[5],
            COLUMNS[6], COLUMNS[7], COLUMNS[8], COLUMNS[9], COLUMNS[10]) + "\n");
      }
      Tally tally = new Tally();
      for (int start = 0; start < files.size(); start += batchSize) {
        List<Path> chunk = files.subList(start, Math.min(files.size(), start + batchSize));
        scoreChunk(session, pre, ood, chunk, out, tally);
        // Each batch reaches the disk before the next: a killed shard resumes from here.
        out.flush();
        progress.step(chunk.size(), (tally.failed == 0 ? "" : tally.failed + " unreadable ")
            + (tally.flagged == 0 ? "" : tally.flagged + " flagged"));
      }
      failed = tally.failed;
      flagged = tally.flagged;
      refused = tally.refused;
    }
    ShardOutput.publish(output);
    say.printf("wrote %s (%d images%s, %d unreadable, %d %s by the input checks%s)%n", output,
        scored.size() + files.size(), shard.equals(Shard.WHOLE) ? "" : " of shard " + shard, failed,
        strict ? refused : flagged, strict ? "refused" : "flagged",
        scored.isEmpty() ? "" : "; " + scored.size() + " were scored before the resume");
    return ExitCode.OK;
  }

  /** Images that could not be read, were flagged, or were refused (--strict), so far. */
  private static final class Tally {
    int failed;
    int flagged;
    int refused;
  }

  /** Reads, checks and scores one batch of files, writing a row each. */
  private void scoreChunk(LoadedModel session, ImagePreprocessor pre,
      java.util.Optional<OutOfDistribution.Calibration> ood, List<Path> chunk, Writer out, Tally tally)
      throws IOException {
    ModelAssets assets = session.assets();
    int positive = assets.positiveClass();
    int pixels = assets.spec().inputShape().pixels();
    List<Path> ok = new ArrayList<>();
    List<float[]> images = new ArrayList<>();
    List<InputCheck.Result> checks = new ArrayList<>();
    for (Path f : chunk) {
      try {
        InputCheck.Checked checked = InputCheck.inspect(Files.readAllBytes(f), pre);
        if (strict && !checked.check().ok()) {
          tally.refused++;
          out.write(Csv.row(f, "", "", assets.decision().threshold(), "refused by the input checks (--strict)", "",
              "", checked.check().code(), "", "", "") + "\n");
          continue;
        }
        images.add(checked.input());
        checks.add(checked.check());
        ok.add(f);
      } catch (IOException e) {
        tally.failed++;
        out.write(Csv.row(f, "", "", assets.decision().threshold(), e.getMessage(), "", "", "", "", "", "") + "\n");
      }
    }
    if (ok.isEmpty()) {
      return;
    }
    float[] batch = new float[ok.size() * pixels];
    for (int i = 0; i < ok.size(); i++) {
      System.arraycopy(images.get(i), 0, batch, i * pixels, pixels);
    }
    Prediction p = session.predict(batch, ok.size());
    LesionMaps lesions = p.lesion();
    for (int i = 0; i < ok.size(); i++) {
      double prob = p.probabilities()[i][positive];
      int index = i;
      InputCheck.Result check = checks.get(i).withOutOfDistribution(
          ood.map(c -> c.flags(p, index, positive)).orElse(false));
      List<String> scores = new ArrayList<>();
      for (OutOfDistribution.Score score : OutOfDistribution.Score.values()) {
        scores.add(score.available(p) ? String.format("%.6f", score.of(p, i, positive)) : "");
      }
      if (strict && !check.ok()) {
        tally.refused++;
        out.write(Csv.row(ok.get(i), "", "", assets.decision().threshold(), "refused by the input checks (--strict)",
            "", "", check.code(), scores.get(0), scores.get(1), scores.get(2)) + "\n");
        continue;
      }
      out.write(Csv.row(ok.get(i), String.format("%.6f", prob), assets.decisionLabel(prob), assets.decision().threshold(),
          "", lesions == null ? "" : String.format("%.6f", lesions.involvement()[i]),
          lesions == null ? "" : lesions.severityOf(i).code(), check.code(), scores.get(0), scores.get(1),
          scores.get(2)) + "\n");
      tally.flagged += check.ok() ? 0 : 1;
    }
  }

  /**
   * The per-image CSV's columns (the probability column is named after the positive label); the
   * lesion columns are empty for a model without a lesion head; input_check is {@code ok} or the
   * reasons the image is unlike what the model was validated on (the label is never changed by it),
   * {@code out_of_distribution} among them when the model carries a fitted OOD flag (`ctnet ood-fit`);
   * the ood_ columns are the model's out-of-distribution scores (higher: less like its training data).
   */
  public static final String[] COLUMNS = {"path", "probability_", "label", "threshold", "error", "lung_involvement",
      "severity", "input_check", "ood_energy", "ood_lesion_disagreement", "ood_low_confidence"};

}
