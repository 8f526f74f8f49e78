package org.ctnet.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Split;
import org.ctnet.trainer.data.StudyStore;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.workflow.FineTuning;
import org.ctnet.trainer.workflow.ModelReport;
import org.ctnet.trainer.workflow.Publication;
import org.ctnet.trainer.workflow.StudyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Start from an exported version, train on new data, export as the next version. */
@Command(name = "fine-tune", mixinStandardHelpOptions = true,
    description = "Fine-tune an exported model on new data and export it as the next version: slice-labelled images "
        + "(--data), studies with one label each (--studies, --labels), or both. Calibrated on the new validation "
        + "groups (studies when there are any: the scan threshold the server serves is locked on them), refused when "
        + "it ends worse than it started (unless --export-anyway).")
public final class FineTuneCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;
  @Mixin DataOptions data;
  @Mixin StudyInputOptions studyInput;
  @Mixin StudyLearningOptions studyLearning;
  @Mixin TrainingOptions training;
  @Mixin FineTuneOptions fineTune;

  @Option(names = "--run-dir", paramLabel = "DIR", description = "Checkpoints and logs (default runs/<name>-finetune-v<N>).")
  Path runDir;

  @Option(names = "--resume", description = "Continue an interrupted fine-tuning run in --run-dir.")
  boolean resume;

  @Option(names = "--export-anyway", description = "Export even when the result is worse than the starting model.")
  boolean exportAnyway;

  @Mixin EvaluationOptions evaluation;

  /** The new data, each kind split by group into train, validation and test (absent kinds are null). */
  private record NewData(String description, String summary, ImageStore train, ImageStore validation,
      ImageStore test, StudyStore.Parts studies) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (!data.source.given() && !studyInput.given()) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "give the new data: --data (slice labels), --studies with --labels (study labels), or both");
    }
    Path base = model.versionDir();
    Path modelDir = base.toAbsolutePath().getParent();
    long next = ModelExport.latestVersion(modelDir).orElse(0) + 1;
    TrainConfig config = fineTune.config(training);
    if (studyInput.given()) {
      config = config.withStudies(studyLearning.learning());
    }
    Path run = runDir != null ? runDir : Path.of("runs", modelDir.getFileName() + "-finetune-v" + next);
    Files.createDirectories(run);
    ModelAssets baseAssets = ModelAssets.read(base);
    NewData newData;
    try {
      newData = readNewData(baseAssets, run, out);
    } catch (StudyInputOptions.BadStudies e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return ExitCode.FAILED;
    }
    FineTuneOptions.Reference reference = fineTune.loadReference(baseAssets, data.source, out);
    StudyStore.Parts studies = newData.studies();
    FineTuning.Inputs inputs = new FineTuning.Inputs(newData.train(), studies == null ? null : studies.train(),
        newData.validation(), studies == null ? null : studies.validation(), reference.rehearsal(), reference.check());
    FineTuning.Result result = FineTuning.run(base, config, training.sessionOptions(), evaluation.targetSensitivity,
        inputs, run, resume, out);
    try (var tuned = result.model()) {
      Publication.TrainingRecord record = Publication.TrainingRecord.fineTuned(modelDir.getFileName().toString(), base,
          newData.description(), new Publication.SplitRecord(data.splitSeed, newData.summary(), true), config,
          fineTune.referenceNames(), result.before(), result.after(), result.problems());
      ModelReport.Result report;
      if (studies != null) {
        Map<String, StudyStore> studyParts = new LinkedHashMap<>();
        studyParts.put("validation", studies.validation());
        studyParts.put("test", studies.test());
        Map<String, ImageStore> sliceParts = new LinkedHashMap<>();
        sliceParts.put("validation", newData.validation());
        sliceParts.put("test", newData.test());
        report = StudyReport.evaluateAndWrite(tuned, studyParts, sliceParts, evaluation.bootstrap(),
            result.state().history(), record.model(), record, run.resolve("report"), out);
      } else {
        report = Publication.report(tuned, newData.validation(), newData.test(), evaluation.targetSensitivity,
            evaluation.bootstrap(), result.state().history(), record, run, out);
      }
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

  /** Reads, splits and loads the slice-labelled images and the studies that were given. */
  private NewData readNewData(ModelAssets baseAssets, Path run, PrintWriter out) throws java.io.IOException {
    StringBuilder description = new StringBuilder();
    StringBuilder summary = new StringBuilder();
    ImageStore train = null;
    ImageStore validation = null;
    ImageStore test = null;
    if (data.source.given()) {
      Dataset dataset = data.read();
      dataset = new Dataset(dataset.samples(), baseAssets.labels(), dataset.hasGroups(), dataset.source());
      Split split = data.split(dataset, out);
      split.write(run.resolve("split.csv"));
      out.println("slice-labelled data " + dataset.source() + ": " + split.summary());
      description.append(dataset.source());
      summary.append(split.summary());
      train = data.load(split.train(), baseAssets.preprocessing(), "train", out);
      validation = data.load(split.validation(), baseAssets.preprocessing(), "validation", out);
      test = data.load(split.test(), baseAssets.preprocessing(), "test", out);
    }
    StudyStore.Parts parts = null;
    if (studyInput.given()) {
      StudyStore all = studyInput.load(baseAssets, run.resolve("studies"), out);
      parts = all.split(data.validationFraction, data.testFraction, data.splitSeed);
      out.println("studies " + studyInput.studies + ": " + parts.summary());
      if (parts.validation().size() == 0) {
        throw new IllegalArgumentException("no validation study: the scan threshold is locked on validation studies; "
            + "raise --validation-fraction or give more studies (" + all.size() + " usable)");
      }
      if (parts.validation().classCounts().containsValue(0)) {
        out.println("warning: the validation studies hold one class only " + parts.validation().classCounts()
            + ": no validation ROC-AUC, and the scan threshold falls back (FALLBACK in its rule); give more studies "
            + "of each class or another --split-seed");
      }
      description.append(description.isEmpty() ? "" : " + ").append("studies ").append(studyInput.studies)
          .append(studyInput.labels == null ? "" : " labelled by " + studyInput.labels);
      summary.append(summary.isEmpty() ? "" : "; ").append(parts.summary());
    }
    return new NewData(description.toString(), summary.toString(), train, validation, test, parts);
  }
}
