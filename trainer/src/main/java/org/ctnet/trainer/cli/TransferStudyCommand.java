package org.ctnet.trainer.cli;


import org.ctnet.trainer.train.RunFiles;
import org.ctnet.graph.runtime.Predictor;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Split;
import org.ctnet.trainer.data.StudyStore;
import org.ctnet.trainer.eval.Evaluation;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.train.Trainer;
import org.ctnet.trainer.workflow.FineTuning;
import org.ctnet.trainer.workflow.TransferPool;
import org.ctnet.trainer.workflow.TransferRun;
import org.ctnet.trainer.workflow.TransferStudyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * How many labelled patients does a new hospital need? Fine-tunes the base model on growing,
 * nested draws of the new source's patients and scores a fixed, patient-disjoint test part.
 */
@Command(name = "transfer-study", mixinStandardHelpOptions = true,
    description = "Learning curve of fine-tuning at a new source: for each label budget (patients) and repeat, "
        + "fine-tune the base model with the recipe and score a fixed, patient-disjoint test part of the new source "
        + "(ROC-AUC with group-bootstrap CI, sensitivity/specificity at the locked threshold, Brier, ECE) and the "
        + "reference source before/after (forgetting). The new source is slice-labelled images (--data, optionally "
        + "with --study-labels) or studies with one label each (--studies, --labels). Resumable; exports nothing.")
public final class TransferStudyCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  private static final String RESULT = "result.json";

  @Mixin ModelOption model;
  @Mixin DataSource data;
  @Mixin TrainingOptions training;
  @Mixin FineTuneOptions fineTune;
  @Mixin EvaluationOptions evaluation;

  @Option(names = "--budgets", split = ",", defaultValue = "0,10,25,50,all", paramLabel = "N",
      description = "Patients of the new source's training part per fine-tune; 0 = zero-shot, all = every one "
          + "(default ${DEFAULT-VALUE}).")
  List<String> budgets;

  @Option(names = "--repeats", defaultValue = "3", description = "Patient draws per budget (default ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--test-fraction", defaultValue = "0.4",
      description = "Share of the new source's patients held out as the fixed test part (default ${DEFAULT-VALUE}).")
  double testFraction;

  @Option(names = "--split-seed", defaultValue = "42", description = "Seed of the test part (default ${DEFAULT-VALUE}).")
  long splitSeed;

  @Option(names = "--run-dir", paramLabel = "DIR", description = "Per-run checkpoints and results, and the report (default runs/transfer-study).")
  Path runDir;

  @Option(names = "--resume", description = "Keep the runs already finished in --run-dir and resume the interrupted one.")
  boolean resume;

  @Option(names = "--study-labels", description = "Hide the slice labels: each patient/scan group of the new source "
      + "becomes a study with one label (positive when any of its slices is), fine-tuned by multiple-instance learning "
      + "(--study-pooling), calibrated and thresholded on validation studies; budgets count studies and the test part "
      + "is scored per scan (ROC-AUC, sensitivity and specificity at the locked scan threshold).")
  boolean studyLabels;

  @Mixin StudyLearningOptions studyLearning;

  /** Studies with one label each as the new source (instead of --data). */
  @Mixin StudyInputOptions studyInput;

  @Option(names = "--adapt-batch-norm", description = "AdaBN first: re-estimate the base model's batch-norm statistics "
      + "on the images (not the labels) of the new source's training part, then use that model for the zero-shot "
      + "point and as the start of every fine-tune.")
  boolean adaptBatchNorm;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Path base = model.versionDir();
    Path run = runDir != null ? runDir : Path.of("runs", "transfer-study");
    if (!resume && Files.exists(run.resolve(TransferStudyReport.JSON))) {
      throw new IOException("run directory " + run + " already holds a study; pass --resume or choose another --run-dir");
    }
    Files.createDirectories(run);
    TrainConfig config = fineTune.config(training);
    if (studyLabels || studyInput.given()) {
      config = config.withStudies(studyLearning.learning());
    }
    ModelAssets assets = ModelAssets.read(base);
    NewSource source;
    try {
      source = newSource(assets, run, out);
    } catch (StudyInputOptions.BadStudies e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return ExitCode.FAILED;
    }
    TransferPool pool = source.pool();
    FineTuneOptions.Reference reference = fineTune.loadReference(assets, data, out);
    out.printf("new source: %d patients for fine-tuning, %s held out for testing%n", pool.patients(),
        pool.testDescription());
    if (adaptBatchNorm) {
      base = adapted(base, pool, run.resolve("adapted-base"), out);
    }
    Map<String, Object> setup = new LinkedHashMap<>();
    setup.put("base model", base.toString());
    setup.put("new source", source.name());
    setup.put("reference source", fineTune.referenceNames());
    setup.put("test part", pool.testDescription() + " (split seed " + splitSeed + ")");
    setup.put("recipe", config.toString() + (adaptBatchNorm ? "; AdaBN on the training part's images first" : ""));
    setup.put("target sensitivity", evaluation.targetSensitivity);

    List<TransferRun> runs = new ArrayList<>();
    List<int[]> plan = plan(pool.patients());
    double referenceBefore = Double.NaN;
    int done = 0;
    for (int[] point : plan) {
      int patients = point[0];
      int repeat = point[1];
      String budget = patients == pool.patients() && budgets.contains("all") ? "all" : Integer.toString(patients);
      Path dir = run.resolve(patients == 0 ? "zero-shot" : "budget-" + patients + "-repeat-" + repeat);
      out.printf("== run %d/%d: %s%n", ++done, plan.size(), patients == 0 ? "zero-shot" : patients + " patients, repeat " + repeat);
      TransferRun result;
      if (resume && Files.isRegularFile(dir.resolve(RESULT))) {
        result = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .readValue(dir.resolve(RESULT).toFile(), TransferRun.class);
        out.println("finished in an earlier run, kept");
      } else {
        result = runOnce(base, config, pool, reference, budget, patients, repeat, dir, referenceBefore);
        // written last: its presence marks the run as finished for --resume
        RunFiles.writeJson(dir.resolve(RESULT), result);
      }
      if (Double.isNaN(referenceBefore)) {
        referenceBefore = result.referenceAucBefore(); // the base's, measured once
      }
      report(run, setup, runs, result, out);
    }
    out.println("report: " + run.resolve(TransferStudyReport.HTML));
    return ExitCode.OK;
  }

  /**
   * One point of the curve: the zero-shot base scored, or a fine-tune on one draw of {@code patients}
   * then scored; {@code referenceBefore} is the base's reference ROC-AUC when already known (NaN if not).
   */
  private TransferRun runOnce(Path base, TrainConfig config, TransferPool pool, FineTuneOptions.Reference reference,
      String budget, int patients, int repeat, Path dir, double referenceBefore) throws IOException {
    Files.createDirectories(dir);
    long started = System.nanoTime();
    if (patients == 0 || (Double.isNaN(referenceBefore) && reference.check() != null)) {
      try (LoadedModel zero = LoadedModel.load(base, training.sessionOptions())) {
        referenceBefore = FineTuning.auc(zero, reference.check());
        if (patients == 0) {
          return score(dir, zero, pool, budget, new TransferPool.Drawn(null, 0, 0, 0), 0, referenceBefore,
              referenceBefore, Double.NaN, 0, List.of(), started);
        }
      }
    }
    TransferPool.Drawn drawn = pool.draw(patients, splitSeed * 7_919L + repeat, reference.rehearsal(), reference.check());
    boolean resumeRun = resume && Files.isRegularFile(dir.resolve(Trainer.STATE));
    FineTuning.Result tuned = FineTuning.run(base, config, training.sessionOptions(), evaluation.targetSensitivity,
        drawn.inputs(), dir, resumeRun, spec.commandLine().getOut());
    try (ModelSession m = tuned.model()) {
      return score(dir, m, pool, budget, drawn, repeat, referenceBefore, tuned.after().referenceAuc(),
          tuned.after().validationAuc(), tuned.state().bestEpoch(), tuned.problems(), started);
    }
  }

  /** Adds one finished run to the study and rewrites its report (so a cut study still has one). */
  private static void report(Path run, Map<String, Object> setup, List<TransferRun> runs, TransferRun result,
      PrintWriter out) throws IOException {
    out.printf("%s: test ROC-AUC %.4f [%.4f, %.4f], sensitivity %.3f, specificity %.3f at %.4f; reference AUC %.4f%n",
        result.id(), result.testAuc(), result.testAucLower(), result.testAucUpper(), result.sensitivity(),
        result.specificity(), result.threshold(), result.referenceAucAfter());
    runs.add(result);
    TransferStudyReport.write(run, "CT-Net transfer study", setup, runs);
  }

  /** The new source as a pool with a fixed test part, and its name in the report. */
  private record NewSource(TransferPool pool, String name) {}

  private NewSource newSource(ModelAssets assets, Path run, PrintWriter out) throws IOException {
    if (studyInput.given()) {
      if (data.given() || studyLabels) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
            "--studies is the new source on its own: leave out --data and --study-labels");
      }
      StudyStore all = studyInput.load(assets, run.resolve("studies"), out);
      StudyStore.Parts parts = all.split(0, testFraction, splitSeed);
      return new NewSource(TransferPool.ofStudies(parts.train(), parts.test()), "studies " + studyInput.studies);
    }
    Dataset source = data.read();
    source = new Dataset(source.samples(), assets.labels(), source.hasGroups(), source.source());
    if (!source.hasGroups()) {
      throw new IOException("the new source " + source.source() + " has no patient/scan group column: a transfer study "
          + "needs one (--group-column) so that test patients never appear in training");
    }
    Split split = Split.of(source, 0, testFraction, splitSeed);
    split.write(run.resolve("split.csv"));
    ImageStore pool = data.load(split.train(), assets.preprocessing(), "new source (training part)", out);
    ImageStore test = data.load(split.test(), assets.preprocessing(), "new source (test part)", out);
    return new NewSource(TransferPool.ofSlices(pool, test, studyLabels), source.source());
  }

  /**
   * The base with its batch-norm statistics re-estimated on every training-part image (labels are not
   * used, so all of them, whatever the budget), exported once into {@code dir} and reused on resume.
   */
  private static Path adapted(Path base, TransferPool pool, Path dir, PrintWriter out) throws IOException {
    Path version = dir.resolve("1");
    if (Files.isDirectory(version)) {
      out.println("AdaBN: using " + version + " from an earlier run");
      return version;
    }
    List<float[]> images = pool.unlabelledImages();
    var r = org.ctnet.trainer.workflow.AdaptedExport.run(base, images, 16, 17, dir, 1,
        "the new source's training part (" + images.size() + " images)");
    out.printf("AdaBN: re-estimated %d batch norms on %d training-part images (mean |shift| %.4f, variances x%.3f)%n",
        r.adaptation().batchNormLayers(), r.adaptation().images(), r.adaptation().meanAbsoluteMeanShift(),
        r.adaptation().geometricMeanVarianceRatio());
    return r.version();
  }

  /** (patients, repeat) pairs: the zero-shot point once, each other budget once per repeat. */
  private List<int[]> plan(int available) {
    List<int[]> plan = new ArrayList<>();
    for (String b : budgets) {
      int patients;
      if (b.strip().equalsIgnoreCase("all")) {
        patients = available;
      } else {
        try {
          patients = Integer.parseInt(b.strip());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--budgets takes patient counts or 'all', got '" + b + "'");
        }
      }
      if (patients < 0 || (patients > 0 && patients < 3)) {
        throw new IllegalArgumentException("a budget is 0 (zero-shot) or at least 3 patients, got " + patients);
      }
      if (patients > available) {
        throw new IllegalArgumentException("budget " + patients + " is more than the " + available
            + " patients of the new source's training part");
      }
      if (patients == 0) {
        plan.add(new int[] {0, 0});
      } else {
        for (int r = 1; r <= repeats; r++) {
          plan.add(new int[] {patients, r});
        }
      }
    }
    return plan;
  }

  private TransferRun score(Path dir, Predictor m, TransferPool pool, String budget, TransferPool.Drawn drawn,
      int repeat, double referenceBefore, double referenceAfter, double validationAuc, int bestEpoch,
      List<String> problems, long started) throws IOException {
    TransferPool.Scored scored = pool.score(m, evaluation.bootstrap(), dir);
    Evaluation ev = scored.evaluation();
    var auc = ev.metrics().get("roc_auc");
    var sens = ev.metrics().get("sensitivity");
    var spec = ev.metrics().get("specificity");
    return new TransferRun(budget, drawn.patients(), repeat, drawn.trainCount(), drawn.validationCount(),
        scored.tested(), auc.value(), auc.lower(), auc.upper(), sens.value(), sens.lower(), sens.upper(), spec.value(),
        spec.lower(), spec.upper(), scored.threshold(), scored.thresholdRule(), ev.brier(),
        ev.expectedCalibrationError(), referenceBefore, referenceAfter, m.assets().calibration().temperature(),
        validationAuc, bestEpoch, (System.nanoTime() - started) / 1e9, problems, scored.scanAuc());
  }
}
