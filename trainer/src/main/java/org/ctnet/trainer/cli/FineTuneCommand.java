package org.ctnet.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.workflow.ModelReport;
import org.ctnet.trainer.workflow.Publication;
import org.ctnet.trainer.data.Split;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.workflow.FineTuning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Start from an exported version, train on new data, export as the next version. */
@Command(name = "fine-tune", mixinStandardHelpOptions = true,
    description = "Fine-tune an exported model on new data (e.g. one hospital's slices) and export it as the next "
        + "version: calibrated on the new validation groups, threshold locked there, refused when it ends worse than "
        + "it started (unless --export-anyway).")
public final class FineTuneCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;
  @Mixin DataOptions data;
  @Mixin TrainingOptions training;
  @Mixin FineTuneOptions fineTune;

  @Option(names = "--run-dir", paramLabel = "DIR", description = "Checkpoints and logs (default runs/<name>-finetune-v<N>).")
  Path runDir;

  @Option(names = "--resume", description = "Continue an interrupted fine-tuning run in --run-dir.")
  boolean resume;

  @Option(names = "--export-anyway", description = "Export even when the result is worse than the starting model.")
  boolean exportAnyway;

  @Mixin EvaluationOptions evaluation;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path base = model.versionDir();
    Path modelDir = base.toAbsolutePath().getParent();
    long next = ModelExport.latestVersion(modelDir).orElse(0) + 1;
    TrainConfig config = fineTune.config(training);
    Path run = runDir != null ? runDir : Path.of("runs", modelDir.getFileName() + "-finetune-v" + next);
    ModelAssets baseAssets = ModelAssets.read(base);
    Dataset dataset = data.read();
    dataset = new Dataset(dataset.samples(), baseAssets.labels(), dataset.hasGroups(), dataset.source());
    Split split = data.split(dataset, out);
    split.write(Files.createDirectories(run).resolve("split.csv"));
    out.println("fine-tuning " + base + " on " + dataset.source() + ": " + split.summary());
    ImageStore train = data.load(split.train(), baseAssets.preprocessing(), "train", out);
    ImageStore validation = data.load(split.validation(), baseAssets.preprocessing(), "validation", out);
    ImageStore test = data.load(split.test(), baseAssets.preprocessing(), "test", out);
    FineTuneOptions.Reference reference = fineTune.loadReference(baseAssets, data.source, out);
    FineTuning.Result result = FineTuning.run(base, config, training.sessionOptions(), evaluation.targetSensitivity,
        train, validation, reference.rehearsal(), reference.check(), run, resume, out);
    try (var tuned = result.model()) {
      Publication.TrainingRecord record = Publication.TrainingRecord.fineTuned(modelDir.getFileName().toString(), base,
          dataset.source(), new Publication.SplitRecord(data.splitSeed, split.summary(), dataset.hasGroups()), config,
          fineTune.referenceNames(), result.before(), result.after(), result.problems());
      ModelReport.Result report = Publication.report(tuned, validation, test, evaluation.targetSensitivity,
          evaluation.bootstrap, result.state().history(), record, run, out);
      if (result.worseThanStart()) {
        out.println("WARNING: the fine-tuned model is worse than the model it started from:");
        result.problems().forEach(p -> out.println("  - " + p));
        if (!exportAnyway) {
          out.println("not exported (pass --export-anyway to export it all the same); report: " + run.resolve("report"));
          return ExitCode.FAILED;
        }
      }
      Publication.export(tuned, report, record, run, modelDir, next, out);
      return ExitCode.OK;
    }
  }
}
