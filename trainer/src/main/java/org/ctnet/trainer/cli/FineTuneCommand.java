package org.ctnet.trainer.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.train.TrainingSpec;
import org.ctnet.trainer.Main;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.DatasetReader;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Split;
import org.ctnet.trainer.eval.Metrics;
import org.ctnet.trainer.train.RunState;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Start from an exported version, train on new data, export as the next version. */
@Command(name = "fine-tune", mixinStandardHelpOptions = true,
    description = "Fine-tune an exported model on new data (e.g. one hospital's slices) and export it as the next version.")
public final class FineTuneCommand implements Callable<Integer> {
  @Mixin ModelOption model;
  @Mixin DataOptions data;
  @Mixin TrainingOptions training;

  @Option(names = "--freeze", split = ",", defaultValue = "stem,stage1", paramLabel = "SCOPES",
      description = "Variable scopes kept fixed (default ${DEFAULT-VALUE}; 'none' trains everything).")
  List<String> freeze;

  @Option(names = "--reference", paramLabel = "PATH",
      description = "A reference dataset (e.g. the original test set) scored before and after, to show forgetting.")
  Path reference;

  @Option(names = "--run-dir", paramLabel = "DIR", description = "Checkpoints and logs (default runs/<name>-finetune-v<N>).")
  Path runDir;

  @Option(names = "--resume", description = "Continue an interrupted fine-tuning run in --run-dir.")
  boolean resume;

  @Mixin EvaluationOptions evaluation;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    Path base = model.versionDir();
    Path modelDir = base.toAbsolutePath().getParent();
    long next = ModelExport.latestVersion(modelDir).orElse(0) + 1;
    List<String> frozen = freeze.size() == 1 && freeze.get(0).equalsIgnoreCase("none") ? List.of() : freeze;
    TrainConfig config = training.config(frozen);
    Path run = runDir != null ? runDir : Path.of("runs", modelDir.getFileName() + "-finetune-v" + next);
    try (ModelSession session = ModelSession.rebuild(base,
        TrainingSpec.defaults(config.optimizer()).withFrozenScopes(frozen), training.sessionOptions())) {
      ModelAssets assets = session.assets();
      Dataset dataset = data.read();
      dataset = new Dataset(dataset.samples(), assets.labels(), dataset.hasGroups(), dataset.source());
      Split split = data.split(dataset, out);
      split.write(java.nio.file.Files.createDirectories(run).resolve("split.csv"));
      out.println("fine-tuning " + base + " on " + dataset.source() + ": " + split.summary());
      ImageStore train = data.load(split.train(), assets.preprocessing(), "train", out);
      ImageStore validation = data.load(split.validation(), assets.preprocessing(), "validation", out);
      ImageStore test = data.load(split.test(), assets.preprocessing(), "test", out);
      ImageStore ref = reference == null ? null : data.load(
          new Dataset(DatasetReader.read(reference, null, assets.labels()).samples(), assets.labels(), true,
              reference.toString()), assets.preprocessing(), "reference", out);
      Map<String, Object> before = scores(session, assets, test, ref);
      out.println("before: " + before);
      RunState state = new Trainer(session, config, run, out).train(train, validation, resume);
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("model", modelDir.getFileName().toString());
      details.put("fine_tuned_from", base.toString());
      details.put("data", dataset.source());
      details.put("split", split.summary());
      details.put("training", config);
      details.put("before", before);
      Reports.Result result = Reports.evaluateAndWrite(session, assets, validation, test, evaluation.targetSensitivity,
          evaluation.bootstrap, state.history(), details, run.resolve("report"), out);
      Map<String, Object> after = scores(session, result.assets(), test, ref);
      details.put("after", after);
      out.println("after: " + after);
      Path published = session.export(modelDir, next, result.assets(), staging -> {
        Reports.copyInto(run.resolve("report"), staging.resolve("assets.extra").resolve("report"));
        Trainer.writeJson(staging.resolve("assets.extra").resolve("training.json"), details);
      });
      out.println("exported " + published);
      return Main.OK;
    }
  }

  /** AUC and accuracy at the model's threshold on the new test split and the reference set. */
  private static Map<String, Object> scores(ModelSession session, ModelAssets assets, ImageStore test, ImageStore ref) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (var part : java.util.Arrays.asList(Map.entry("new_test", test), ref == null ? null : Map.entry("reference", ref))) {
      if (part == null || part.getValue().size() == 0) {
        continue;
      }
      Trainer.Evaluated e = Trainer.evaluate(session, part.getValue(), 32);
      m.put(part.getKey() + "_auc", e.auc());
      m.put(part.getKey() + "_accuracy", Metrics.confusion(e.positiveScores(), e.labels(), assets.decision().threshold()).accuracy());
    }
    return m;
  }
}
