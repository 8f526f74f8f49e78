package org.ctnet.trainer.cli;

import org.ctnet.trainer.train.HeldOutScores;
import org.ctnet.trainer.eval.Bootstrap;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.trainer.data.Csv;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Sample;
import org.ctnet.trainer.eval.Evaluation;
import org.ctnet.trainer.eval.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A SavedModel on a dataset → metrics.json, plots, HTML report. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Evaluate an exported model at its locked threshold: metrics with group-bootstrap intervals, plots, HTML.")
public final class EvaluateCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;
  @Mixin DataOptions data;

  static final String SCORES = "scores.csv";

  @Option(names = "--subset", defaultValue = "all", description = "all, train, validation or test of the split (default ${DEFAULT-VALUE}).")
  String subset;

  @Option(names = "--out", defaultValue = "evaluation", paramLabel = "DIR", description = "Report folder (default ${DEFAULT-VALUE}).")
  Path out;

  @Mixin BootstrapOption bootstrapOption = new BootstrapOption();

  @Override
  public Integer call() throws Exception {
    PrintWriter console = spec.commandLine().getOut();
    Path version = model.versionDir();
    try (LoadedModel session = LoadedModel.load(version, SessionOptions.DEFAULT)) {
      Dataset dataset = data.read();
      if (!dataset.classes().equals(session.assets().labels())) {
        dataset = new Dataset(dataset.samples(), session.assets().labels(), dataset.hasGroups(), dataset.source());
      }
      Dataset chosen = switch (subset) {
        case "all" -> dataset;
        case "train" -> data.split(dataset, console).train();
        case "validation" -> data.split(dataset, console).validation();
        case "test" -> data.split(dataset, console).test();
        default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
            "--subset must be all, train, validation or test, got '" + subset + "'");
      };
      ImageStore images = data.load(chosen, session.assets().preprocessing(), subset, console);
      HeldOutScores e = HeldOutScores.of(session, images, 32);
      Evaluation evaluation = Evaluation.of(subset, e.positiveScores(), e.labels(),
          images.dataset().samples().stream().map(s -> s.group()).toList(), session.assets().decision().threshold(),
          bootstrapOption.replicates, Bootstrap.SEED);
      console.println(evaluation.summary());
      Evaluation byScan = org.ctnet.trainer.eval.ScanEvaluation.evaluate(subset, e.positiveScores(), e.labels(),
          images.dataset().samples().stream().map(s -> s.group()).toList(), session.assets().effectiveScanDecision().rule(),
          session.assets().effectiveScanDecision().threshold(), bootstrapOption.replicates, Bootstrap.SEED);
      console.println(byScan.summary());
      Report.write(out, "CT-Net evaluation — " + version, List.of(evaluation, byScan),
          Map.of(subset, new double[][] {e.positiveScores(), java.util.Arrays.stream(e.labels()).asDoubleStream().toArray()}),
          List.of(), new EvaluationRecord(version.toString(), dataset.source(), subset, session.assets().decision()));
      writeScores(images.dataset().samples(), e.positiveScores());
      console.println("report: " + out.resolve(Report.HTML) + "; scores: " + out.resolve(SCORES));
      return ExitCode.OK;
    }
  }

  /** Each slice's score, in the columns {@code ctnet compare} reads: two models on one test set compared pairwise. */
  private void writeScores(List<Sample> samples, double[] positiveScores) throws java.io.IOException {
    StringBuilder csv = new StringBuilder(Csv.row("path", "label", "group", "score", "source")).append('\n');
    for (int i = 0; i < samples.size(); i++) {
      Sample s = samples.get(i);
      csv.append(Csv.row(s.path(), s.label(), s.group(), positiveScores[i], s.source())).append('\n');
    }
    java.nio.file.Files.writeString(out.resolve(SCORES), csv);
  }

  /** What metrics.json says of an evaluation besides its figures. */
  record EvaluationRecord(String model, String data, String subset, ModelAssets.Decision decision) {}
}
