package org.ctnet.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Split;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.train.Trainer;
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
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("model", modelDir.getFileName().toString());
      details.put("fine_tuned_from", base.toString());
      details.put("data", dataset.source());
      details.put("split", split.summary());
      details.put("training", config);
      details.put("reference", fineTune.referenceNames());
      details.put("before", result.before());
      details.put("after", result.after());
      details.put("problems", result.problems());
      Reports.Result report = Reports.evaluateAndWrite(tuned, tuned.assets(), validation, test,
          evaluation.targetSensitivity, evaluation.bootstrap, result.state().history(), details, run.resolve("report"), out);
      if (result.worseThanStart()) {
        out.println("WARNING: the fine-tuned model is worse than the model it started from:");
        result.problems().forEach(p -> out.println("  - " + p));
        if (!exportAnyway) {
          out.println("not exported (pass --export-anyway to export it all the same); report: " + run.resolve("report"));
          return ExitCode.FAILED;
        }
      }
      Path published = tuned.export(modelDir, next, report.assets(), staging -> {
        Reports.copyInto(run.resolve("report"), staging.resolve("assets.extra").resolve("report"));
        Trainer.writeJson(staging.resolve("assets.extra").resolve("training.json"), details);
      });
      out.println("exported " + published);
      return ExitCode.OK;
    }
  }
}
