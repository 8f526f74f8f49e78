package org.ctnet.trainer.cli;

import org.ctnet.trainer.train.RunFiles;
import org.ctnet.trainer.train.HeldOutScores;
import org.ctnet.trainer.eval.Bootstrap;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.trainer.data.Csv;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Sample;
import org.ctnet.trainer.data.Split;
import org.ctnet.trainer.eval.Evaluation;
import org.ctnet.trainer.eval.Metrics;
import org.ctnet.trainer.eval.Report;
import org.ctnet.trainer.train.RunState;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.train.Trainer;
import org.ctnet.trainer.train.Validation;
import org.ctnet.trainer.data.StudyStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * k-fold cross-validation by group: with few scans per held-out set one split's figures swing
 * widely; here every group is tested once, by a model that never saw it.
 */
@Command(name = "cross-validate", mixinStandardHelpOptions = true,
    description = "k-fold cross-validation by group: each fold is the test set once while the next fold validates "
        + "(early stopping, locked threshold) and the rest trains; out-of-fold scores are pooled into one evaluation "
        + "with group-bootstrap intervals. Exports nothing.")
public final class CrossValidateCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  private static final String RESULT = "result.json";
  private static final String SCORES = "scores.csv";

  @Mixin DataSource data;
  @Mixin TrainingOptions training;
  @Mixin NetworkOptions network;
  /** Lesion guidance in every fold (the same held-out mask patients in each), so a guided recipe is cross-validated too. */
  @Mixin LesionOptions lesion;
  /** Each fold locks its own threshold on its validation fold. */
  @Mixin EvaluationOptions evaluation;

  @Option(names = "--folds", defaultValue = "5", description = "Number of folds, >= 3 (default ${DEFAULT-VALUE}).")
  int folds;

  @Option(names = "--split-seed", defaultValue = "42", description = "Seed of the fold assignment (default ${DEFAULT-VALUE}).")
  long splitSeed;

  @Option(names = "--name", defaultValue = "ctnet", description = "Model name in the reports (default ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--run-dir", paramLabel = "DIR", description = "Per-fold checkpoints, scores and the report (default runs/cv-<name>).")
  Path runDir;

  @Option(names = "--resume", description = "Keep the folds already finished in --run-dir and resume the interrupted one.")
  boolean resume;

  @Option(names = "--study-labels", description = "Hide the slice labels: each group becomes a study with one label "
      + "(positive when any of its slices is), trained by multiple-instance learning (--study-pooling); early stopping "
      + "and each fold's threshold on its validation studies' scan probabilities. Out-of-fold scores stay per slice, so "
      + "'compare --by-scan' pairs this run with a slice-label run on the same folds.")
  boolean studyLabels;

  @Mixin StudyLearningOptions studyLearning;

  /** metrics.json's account of the cross-validation besides the pooled evaluations. */
  record CrossValidationRecord(String model, String data, List<FoldResult> folds,
      @com.fasterxml.jackson.annotation.JsonProperty("split_seed") long splitSeed, TrainConfig training,
      @com.fasterxml.jackson.annotation.JsonProperty("at_fold_locked_thresholds") AtLockedThresholds atFoldLockedThresholds) {}

  /** Out-of-fold figures, each image judged at its own fold's locked threshold. */
  record AtLockedThresholds(double sensitivity, double specificity, double accuracy) {}

  /** One fold's test-set outcome. */
  record FoldResult(int fold, int testImages, int testGroups, int bestEpoch, double threshold, double rocAuc,
      double accuracyAtHalf, double sensitivityAtThreshold, double specificityAtThreshold) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    NetworkSpec spec = network.spec(name);
    Path run = runDir != null ? runDir : Path.of("runs", "cv-" + name);
    Files.createDirectories(run);
    Dataset dataset = data.read();
    if (!dataset.hasGroups()) {
      out.println("warning: no group column; folds are made of single images. Slices of one scan may be tested by a "
          + "model trained on its neighbours.");
    }
    List<Dataset> parts = Split.folds(dataset, folds, splitSeed);
    writeFolds(run.resolve("folds.csv"), parts);
    out.println("data: " + dataset.source() + " — " + dataset.samples().size() + " images " + dataset.classCounts());
    for (int k = 0; k < folds; k++) {
      out.printf("fold %d: %d images %s%n", k + 1, parts.get(k).samples().size(), parts.get(k).classCounts());
    }
    ModelAssets assets = network.assets(spec).withLabels(dataset.classes());
    ImageStore all = data.load(dataset, assets.preprocessing(), "all folds", out);
    TrainConfig config = training.config(TrainingOptions.Recipes.TRAIN).withLesion(lesion.guidance());
    if (studyLabels) {
      config = config.withStudies(studyLearning.learning());
    }
    List<FoldResult> results = new ArrayList<>();
    List<String[]> outOfFold = new ArrayList<>();
    for (int k = 0; k < folds; k++) {
      Path foldDir = run.resolve("fold-" + (k + 1));
      if (!(resume && Files.isRegularFile(foldDir.resolve(RESULT)))) {
        runFold(k, parts, all, assets, config, foldDir, out);
      } else {
        out.printf("fold %d: finished in an earlier run, kept%n", k + 1);
      }
      results.add(new ObjectMapper().readValue(foldDir.resolve(RESULT).toFile(), FoldResult.class));
      List<String[]> scores = Csv.read(foldDir.resolve(SCORES));
      outOfFold.addAll(scores.subList(1, scores.size()));
    }
    report(run, dataset, results, outOfFold, config, out);
    return ExitCode.OK;
  }

  /** Trains on all folds but k and k+1, validates on k+1, tests on k; writes the fold's result and scores. */
  private void runFold(int k, List<Dataset> parts, ImageStore all, ModelAssets assets, TrainConfig config, Path foldDir,
      PrintWriter out) throws IOException {
    int validationFold = (k + 1) % folds;
    List<Sample> trainSamples = new ArrayList<>();
    for (int j = 0; j < folds; j++) {
      if (j != k && j != validationFold) {
        trainSamples.addAll(parts.get(j).samples());
      }
    }
    ImageStore train = all.subset(all.dataset().subset(trainSamples));
    ImageStore validation = all.subset(parts.get(validationFold));
    ImageStore test = all.subset(parts.get(k));
    out.printf("fold %d of %d: train %d, validation %d (fold %d), test %d%n", k + 1, folds, train.size(), validation.size(),
        validationFold + 1, test.size());
    Files.createDirectories(foldDir);
    boolean resumeFold = resume && Files.isRegularFile(foldDir.resolve("state.json"));
    try (ModelSession model = ModelSession.create(assets,
        config.trainingSpec(), training.sessionOptions())) {
      var lesions = lesion.load(foldDir, splitSeed, assets.preprocessing(), model.hasLesionHead(), out);
      Trainer.Sets sets = studyLabels ? new Trainer.Sets(null, null, lesions, StudyStore.fromGroups(train))
          : new Trainer.Sets(train, null, lesions, null);
      Validation judge = studyLabels ? Validation.studies(StudyStore.fromGroups(validation)) : Validation.slices(validation);
      RunState state = new Trainer(model, config, foldDir, out).train(sets, judge, resumeFold);
      HeldOutScores val = judge.evaluate(model);
      double threshold = org.ctnet.trainer.eval.DecisionRule.lock(val.positiveScores(), val.labels(),
          evaluation.targetSensitivity).threshold();
      HeldOutScores e = HeldOutScores.of(model, test, 32);
      // With study labels the threshold is a scan threshold: judged on the test fold's scans.
      HeldOutScores judged = studyLabels ? Validation.studies(StudyStore.fromGroups(test)).evaluate(model) : e;
      Metrics.Confusion locked = Metrics.confusion(judged.positiveScores(), judged.labels(), threshold);
      FoldResult result = new FoldResult(k + 1, test.size(),
          (int) test.dataset().samples().stream().map(Sample::group).distinct().count(), state.bestEpoch(), threshold,
          Metrics.rocAuc(e.positiveScores(), e.labels()), Metrics.confusion(e.positiveScores(), e.labels(), 0.5).accuracy(),
          locked.sensitivity(), locked.specificity());
      try (Writer w = Files.newBufferedWriter(foldDir.resolve(SCORES), StandardCharsets.UTF_8)) {
        w.write("path,label,group,fold,score,threshold,source\n");
        for (int i = 0; i < test.size(); i++) {
          Sample s = test.sample(i);
          w.write(Csv.row(s.path(), s.label(), s.group(), Integer.toString(k + 1), Double.toString(e.positiveScores()[i]),
              Double.toString(threshold), s.source()) + "\n");
        }
      }
      // written last: its presence marks the fold as finished for --resume
      RunFiles.writeJson(foldDir.resolve(RESULT), result);
      out.printf("fold %d: test ROC-AUC %.3f, accuracy at 0.5 %.3f, locked threshold %.4f (sensitivity %.3f, specificity %.3f)%n",
          k + 1, result.rocAuc(), result.accuracyAtHalf(), threshold, result.sensitivityAtThreshold(),
          result.specificityAtThreshold());
    }
  }

  private void report(Path run, Dataset dataset, List<FoldResult> results, List<String[]> outOfFold, TrainConfig config,
      PrintWriter out) throws IOException {
    int n = outOfFold.size();
    double[] scores = new double[n];
    int[] labels = new int[n];
    List<String> groups = new ArrayList<>();
    int[] counts = new int[4]; // tp, fn, tn, fp at each fold's own locked threshold
    try (Writer w = Files.newBufferedWriter(run.resolve("out-of-fold.csv"), StandardCharsets.UTF_8)) {
      w.write("path,label,group,fold,score,threshold,source\n");
      for (int i = 0; i < n; i++) {
        String[] row = outOfFold.get(i);
        w.write(Csv.row(row) + "\n");
        scores[i] = Double.parseDouble(row[4]);
        labels[i] = dataset.classIndex(row[1]) == dataset.classes().size() - 1 ? 1 : 0;
        groups.add(row[2]);
        if (!studyLabels) {
          boolean positive = scores[i] >= Double.parseDouble(row[5]);
          counts[labels[i] == 1 ? (positive ? 0 : 1) : (positive ? 3 : 2)]++;
        }
      }
    }
    if (studyLabels) {
      // Study-label folds lock scan thresholds: each scan judged by its own fold's.
      var scans = org.ctnet.trainer.eval.ScanEvaluation.scans(scores, labels, groups, org.ctnet.graph.assets.ScanRule.DEFAULT);
      Map<String, Double> thresholds = new LinkedHashMap<>();
      outOfFold.forEach(row -> thresholds.put(row[2], Double.parseDouble(row[5])));
      for (int i = 0; i < scans.count(); i++) {
        boolean positive = scans.scores()[i] >= thresholds.get(scans.names().get(i));
        counts[scans.labels()[i] == 1 ? (positive ? 0 : 1) : (positive ? 3 : 2)]++;
      }
    }
    Evaluation pooled = Evaluation.of("out-of-fold", scores, labels, groups, 0.5, evaluation.bootstrap(), Bootstrap.SEED);
    List<Evaluation> evaluations = new ArrayList<>(List.of(pooled,
        org.ctnet.trainer.eval.ScanEvaluation.evaluate("out-of-fold", scores, labels, groups,
            org.ctnet.graph.assets.ScanRule.DEFAULT, 0.5, evaluation.bootstrap(), Bootstrap.SEED)));
    Map<String, double[][]> histograms = new LinkedHashMap<>();
    histograms.put("out-of-fold", new double[][] {scores, java.util.Arrays.stream(labels).asDoubleStream().toArray()});
    List<String> sources = outOfFold.stream().map(r -> r.length > 6 ? r[6] : "").distinct().sorted().toList();
    if (sources.size() > 1) {
      // Several sources: each one's pooled out-of-fold figures, so a small source is not hidden by a large one.
      for (String source : sources) {
        int[] idx = java.util.stream.IntStream.range(0, n)
            .filter(i -> (outOfFold.get(i).length > 6 ? outOfFold.get(i)[6] : "").equals(source)).toArray();
        double[] s = java.util.Arrays.stream(idx).mapToDouble(i -> scores[i]).toArray();
        int[] l = java.util.Arrays.stream(idx).map(i -> labels[i]).toArray();
        Evaluation e = Evaluation.of("out-of-fold " + source, s, l,
            java.util.Arrays.stream(idx).mapToObj(groups::get).toList(), 0.5, evaluation.bootstrap(), Bootstrap.SEED);
        evaluations.add(e);
        histograms.put("out-of-fold " + source, new double[][] {s, java.util.Arrays.stream(l).asDoubleStream().toArray()});
      }
    }
    double sensitivity = counts[0] / (double) Math.max(1, counts[0] + counts[1]);
    double specificity = counts[2] / (double) Math.max(1, counts[2] + counts[3]);
    CrossValidationRecord record = new CrossValidationRecord(name, dataset.source(), results, splitSeed, config,
        new AtLockedThresholds(sensitivity, specificity, (counts[0] + counts[2]) / (double) Math.max(1, n)));
    Report.write(run.resolve("report"), "CT-Net cross-validation — " + name + " (" + folds + " folds by group)",
        evaluations, histograms, List.of(), record);
    out.println();
    out.println("| fold | test images | groups | best epoch | ROC-AUC | accuracy at 0.5 | locked threshold | sensitivity | specificity |");
    out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (FoldResult r : results) {
      out.printf("| %d | %d | %d | %d | %.3f | %.3f | %.4f | %.3f | %.3f |%n", r.fold(), r.testImages(), r.testGroups(),
          r.bestEpoch(), r.rocAuc(), r.accuracyAtHalf(), r.threshold(), r.sensitivityAtThreshold(), r.specificityAtThreshold());
    }
    out.printf("fold mean ± sd: ROC-AUC %s, accuracy at 0.5 %s%n", meanSd(results.stream().mapToDouble(FoldResult::rocAuc).toArray()),
        meanSd(results.stream().mapToDouble(FoldResult::accuracyAtHalf).toArray()));
    out.println("pooled out-of-fold: " + pooled.summary());
    for (Evaluation e : evaluations.subList(2, evaluations.size())) {
      out.println("pooled " + e.summary());
    }
    out.printf("pooled at each fold's locked %s threshold: sensitivity %.3f, specificity %.3f%n",
        studyLabels ? "scan" : "slice", sensitivity, specificity);
    printScanLevel(outOfFold, scores, labels, groups, sources, out);
    out.println("report: " + run.resolve("report").resolve(Report.HTML));
  }

  /** Scan level: each group's out-of-fold slices pooled into one scan probability, per rule (and per source). */
  private void printScanLevel(List<String[]> outOfFold, double[] scores, int[] labels, List<String> groups,
      List<String> sources, PrintWriter out) {
    for (String line : org.ctnet.trainer.eval.ScanEvaluation.compareRules("out-of-fold", scores, labels, groups,
        evaluation.bootstrap(), Bootstrap.SEED)) {
      out.println(line);
    }
    if (sources.size() < 2) {
      return;
    }
    for (String source : sources) {
      int[] idx = java.util.stream.IntStream.range(0, scores.length)
          .filter(i -> (outOfFold.get(i).length > 6 ? outOfFold.get(i)[6] : "").equals(source)).toArray();
      for (String line : org.ctnet.trainer.eval.ScanEvaluation.compareRules("out-of-fold " + source,
          java.util.Arrays.stream(idx).mapToDouble(i -> scores[i]).toArray(), java.util.Arrays.stream(idx).map(i -> labels[i]).toArray(),
          java.util.Arrays.stream(idx).mapToObj(groups::get).toList(), evaluation.bootstrap(), Bootstrap.SEED)) {
        out.println(line);
      }
    }
  }

  private static String meanSd(double[] v) {
    double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
    double var = java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, v.length - 1);
    return String.format("%.3f ± %.3f", mean, Math.sqrt(var));
  }

  private static void writeFolds(Path csv, List<Dataset> parts) throws IOException {
    try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
      w.write("path,label,group,fold\n");
      for (int k = 0; k < parts.size(); k++) {
        for (Sample s : parts.get(k).samples()) {
          w.write(Csv.row(s.path(), s.label(), s.group(), Integer.toString(k + 1)) + "\n");
        }
      }
    }
  }
}
