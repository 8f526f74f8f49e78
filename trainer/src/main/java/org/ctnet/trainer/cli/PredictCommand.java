package org.ctnet.trainer.cli;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.trainer.data.Csv;
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

  @Option(names = "--batch-size", defaultValue = "16", description = "Images per session run (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--scans", description = "Score whole scans: DICOM files grouped into series (localisers, other "
      + "modalities and non-axial series reported and left out), PNG/JPEG slices one scan per folder.")
  boolean scans;

  @Option(names = "--scan-output", defaultValue = "scans.csv", paramLabel = "FILE",
      description = "With --scans: one row per scan (default ${DEFAULT-VALUE}); an HTML report beside it (scans.html).")
  Path scanOutput;

  @Override
  public Integer call() throws Exception {
    if (scans) {
      try (ModelSession session = ModelSession.load(model.versionDir(), SessionOptions.DEFAULT)) {
        var outcome = org.ctnet.trainer.workflow.ScanPrediction.run(session, input, output, scanOutput,
            spec.commandLine().getOut());
        spec.commandLine().getOut().printf("wrote %s (%d scans), %s (the report) and %s (slices; %d files left out)%n",
            scanOutput, outcome.scans().size(), org.ctnet.trainer.workflow.ScanPrediction.reportFor(scanOutput), output,
            outcome.skipped().size());
        if (outcome.scans().isEmpty()) {
          spec.commandLine().getErr().println("error: no scan found at " + input);
          return ExitCode.FAILED;
        }
        return ExitCode.OK;
      }
    }
    List<Path> files = Inputs.list(input);
    if (files.isEmpty()) {
      spec.commandLine().getErr().println("error: no images found at " + input);
      return ExitCode.FAILED;
    }
    try (ModelSession session = ModelSession.load(model.versionDir(), SessionOptions.DEFAULT);
        Writer out = Files.newBufferedWriter(output, StandardCharsets.UTF_8);
        Progress progress = new Progress("predict", files.size(), spec.commandLine().getOut())) {
      ModelAssets assets = session.assets();
      ImagePreprocessor pre = new ImagePreprocessor(assets.preprocessing(), 64L * 1024 * 1024);
      int positive = assets.positiveClass();
      String positiveLabel = assets.labels().get(positive);
      out.write(Csv.row("path", "probability_" + positiveLabel, "label", "threshold", "error") + "\n");
      int failed = 0;
      int pixels = assets.spec().inputShape().pixels();
      for (int start = 0; start < files.size(); start += batchSize) {
        List<Path> chunk = files.subList(start, Math.min(files.size(), start + batchSize));
        List<Path> ok = new ArrayList<>();
        List<float[]> images = new ArrayList<>();
        for (Path f : chunk) {
          try {
            images.add(pre.toModelInput(Files.readAllBytes(f)));
            ok.add(f);
          } catch (IOException e) {
            failed++;
            out.write(Csv.row(f, "", "", assets.decision().threshold(), e.getMessage()) + "\n");
          }
        }
        if (!ok.isEmpty()) {
          float[] batch = new float[ok.size() * pixels];
          for (int i = 0; i < ok.size(); i++) {
            System.arraycopy(images.get(i), 0, batch, i * pixels, pixels);
          }
          Prediction p = session.predict(batch, ok.size());
          for (int i = 0; i < ok.size(); i++) {
            double prob = p.probabilities()[i][positive];
            String label = assets.decisionLabel(prob);
            out.write(Csv.row(ok.get(i), String.format("%.6f", prob), label, assets.decision().threshold(), "") + "\n");
          }
        }
        progress.step(chunk.size(), failed == 0 ? "" : failed + " unreadable");
      }
      spec.commandLine().getOut().printf("wrote %s (%d images, %d unreadable)%n", output, files.size(), failed);
      return ExitCode.OK;
    }
  }

}
