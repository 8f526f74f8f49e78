package org.ctnet.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.workflow.ModelReport;
import org.ctnet.trainer.workflow.Publication;
import org.ctnet.trainer.data.Split;
import org.ctnet.trainer.train.Calibrator;
import org.ctnet.trainer.train.RunState;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** data → split → augment → train → checkpoints → threshold → test report → export. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a model on a dataset split by group, evaluate it on the held-out groups and export it.")
public final class TrainCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin DataOptions data;
  @Mixin TrainingOptions training;
  @Mixin ExportOptions export;
  @Mixin NetworkOptions network;
  @Mixin LesionOptions lesion;

  @Option(names = "--run-dir", paramLabel = "DIR", description = "Checkpoints, logs and reports (default runs/<name>).")
  Path runDir;

  @Option(names = "--resume", description = "Continue the run in --run-dir after its last completed epoch.")
  boolean resume;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    NetworkSpec spec = network.spec(export.name);
    Path run = runDir != null ? runDir : Path.of("runs", export.name);
    Files.createDirectories(run);
    Dataset dataset = data.read();
    Split split = data.split(dataset, out);
    split.write(run.resolve("split.csv"));
    out.println("data: " + dataset.source() + " — " + dataset.samples().size() + " images " + dataset.classCounts());
    out.println("split (seed " + data.splitSeed + "): " + split.summary());
    ModelAssets assets = network.assets(spec).withLabels(dataset.classes());
    ImageStore train = data.load(split.train(), assets.preprocessing(), "train", out);
    ImageStore validation = data.load(split.validation(), assets.preprocessing(), "validation", out);
    ImageStore test = data.load(split.test(), assets.preprocessing(), "test", out);
    TrainConfig config = training.config(TrainingOptions.Recipes.TRAIN).withLesion(lesion.guidance());
    try (ModelSession model = ModelSession.create(assets,
        config.trainingSpec(), training.sessionOptions())) {
      var lesions = lesion.load(run, data.splitSeed, assets.preprocessing(), model.hasLesionHead(), out);
      RunState state = new Trainer(model, config, run, out).train(train, null, lesions, validation, resume);
      try (ModelSession calibrated = Calibrator.calibrateAndLock(model, validation,
          export.evaluation.targetSensitivity, config.trainingSpec(), training.sessionOptions())) {
        out.println("calibration: " + calibrated.assets().calibration().fittedOn());
        return finish(calibrated, dataset, split, train, validation, test, config, state, run, spec, out);
      }
    }
  }

  private int finish(ModelSession model, Dataset dataset, Split split, ImageStore train, ImageStore validation,
      ImageStore test, TrainConfig config, RunState state, Path run, NetworkSpec spec, PrintWriter out)
      throws java.io.IOException {
    Publication.TrainingRecord record = Publication.TrainingRecord.trained(export.name, spec, dataset.source(),
        new Publication.SplitRecord(data.splitSeed, split.summary(), dataset.hasGroups()), config, state.bestEpoch(),
        train.skipped().size() + validation.skipped().size() + test.skipped().size());
    ModelReport.Result report = Publication.report(model, validation, test, export.evaluation.targetSensitivity,
        export.evaluation.bootstrap(), state.history(), record, run, out);
    if (!export.noExport) {
      Publication.export(model, report, record, run, export.models.resolve(export.name), export.version, out);
    }
    return ExitCode.OK;
  }
}
