package org.ctnet.trainer.cli;

import org.ctnet.trainer.eval.Bootstrap;

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
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Sample;
import org.ctnet.trainer.data.Split;
import org.ctnet.trainer.data.StudyStore;
import org.ctnet.trainer.eval.Evaluation;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.train.Trainer;
import org.ctnet.trainer.workflow.FineTuning;
import org.ctnet.trainer.workflow.PatientDraws;
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
        + "reference source before/after (forgetting). Resumable; exports nothing.")
public final class TransferStudyCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  private static final String RESULT = "result.json";
  static final String TEST_SCORES = "test-scores.csv";

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
    if (studyLabels) {
      config = config.withStudies(studyLearning.learning());
    }
    ModelAssets assets = ModelAssets.read(base);
    Dataset source = data.read();
    source = new Dataset(source.samples(), assets.labels(), source.hasGroups(), source.source());
    if (!source.hasGroups()) {
      throw new IOException("the new source " + source.source() + " has no patient/scan group column: a transfer study "
          + "needs one (--group-column) so that test patients never appear in training");
    }
    Split split = Split.of(source, 0, testFraction, splitSeed);
    split.write(run.resolve("split.csv"));
    PatientDraws draws = new PatientDraws(split.train());
    ImageStore pool = data.load(split.train(), assets.preprocessing(), "new source (training part)", out);
    ImageStore test = data.load(split.test(), assets.preprocessing(), "new source (test part)", out);
    FineTuneOptions.Reference reference = fineTune.loadReference(assets, data, out);
    out.printf("new source: %d patients for fine-tuning, %d images / %d patients held out for testing%n",
        draws.groupCount(), test.size(), groupCount(test));
    if (adaptBatchNorm) {
      base = adapted(base, pool, run.resolve("adapted-base"), out);
    }

    List<TransferRun> runs = new ArrayList<>();
    List<int[]> plan = plan(draws.groupCount());
    double referenceBefore = Double.NaN;
    int done = 0;
    for (int[] point : plan) {
      int patients = point[0];
      int repeat = point[1];
      String budget = patients == draws.groupCount() && budgets.contains("all") ? "all" : Integer.toString(patients);
      Path dir = run.resolve(patients == 0 ? "zero-shot" : "budget-" + patients + "-repeat-" + repeat);
      out.printf("== run %d/%d: %s%n", ++done, plan.size(), patients == 0 ? "zero-shot" : patients + " patients, repeat " + repeat);
      TransferRun result;
      if (resume && Files.isRegularFile(dir.resolve(RESULT))) {
        result = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .readValue(dir.resolve(RESULT).toFile(), TransferRun.class);
        out.println("finished in an earlier run, kept");
      } else {
        Files.createDirectories(dir);
        long started = System.nanoTime();
        if (patients == 0) {
          try (LoadedModel zero = LoadedModel.load(base, training.sessionOptions())) {
            referenceBefore = FineTuning.auc(zero, reference.check());
            result = score(dir, zero, budget, 0, 0, 0, 0, test, referenceBefore, referenceBefore, Double.NaN, 0, List.of(),
                started);
          }
        } else {
          if (Double.isNaN(referenceBefore) && reference.check() != null) {
            try (LoadedModel zero = LoadedModel.load(base, training.sessionOptions())) {
              referenceBefore = FineTuning.auc(zero, reference.check());
            }
          }
          PatientDraws.Draw draw = draws.draw(patients, splitSeed * 7_919L + repeat);
          ImageStore train = pool.subset(draw.train());
          ImageStore validation = pool.subset(draw.validation());
          boolean resumeRun = resume && Files.isRegularFile(dir.resolve(Trainer.STATE));
          FineTuning.Inputs inputs = studyLabels
              ? new FineTuning.Inputs(null, StudyStore.fromGroups(train), null, StudyStore.fromGroups(validation),
                  reference.rehearsal(), reference.check())
              : new FineTuning.Inputs(train, null, validation, null, reference.rehearsal(), reference.check());
          FineTuning.Result tuned = FineTuning.run(base, config, training.sessionOptions(), evaluation.targetSensitivity,
              inputs, dir, resumeRun, out);
          try (ModelSession m = tuned.model()) {
            result = score(dir, m, budget, draw.patients(), repeat, train.size(), validation.size(), test, referenceBefore,
                tuned.after().referenceAuc(), tuned.after().validationAuc(), tuned.state().bestEpoch(), tuned.problems(),
                started);
          }
        }
        // written last: its presence marks the run as finished for --resume
        Trainer.writeJson(dir.resolve(RESULT), result);
      }
      if (patients == 0) {
        referenceBefore = result.referenceAucBefore();
      }
      out.printf("%s: test ROC-AUC %.4f [%.4f, %.4f], sensitivity %.3f, specificity %.3f at %.4f; reference AUC %.4f%n",
          result.id(), result.testAuc(), result.testAucLower(), result.testAucUpper(), result.sensitivity(),
          result.specificity(), result.threshold(), result.referenceAucAfter());
      runs.add(result);
      Map<String, Object> setup = new LinkedHashMap<>();
      setup.put("base model", base.toString());
      setup.put("new source", source.source());
      setup.put("reference source", fineTune.referenceNames());
      setup.put("test part", test.size() + " images of " + groupCount(test) + " patients (split seed " + splitSeed + ")");
      setup.put("recipe", config.toString() + (adaptBatchNorm ? "; AdaBN on the training part's images first" : ""));
      setup.put("target sensitivity", evaluation.targetSensitivity);
      TransferStudyReport.write(run, "CT-Net transfer study", setup, runs);
    }
    out.println("report: " + run.resolve(TransferStudyReport.HTML));
    return ExitCode.OK;
  }

  /**
   * The base with its batch-norm statistics re-estimated on every training-part image (labels are not
   * used, so all of them, whatever the budget), exported once into {@code dir} and reused on resume.
   */
  private static Path adapted(Path base, ImageStore pool, Path dir, PrintWriter out) throws IOException {
    Path version = dir.resolve("1");
    if (Files.isDirectory(version)) {
      out.println("AdaBN: using " + version + " from an earlier run");
      return version;
    }
    List<float[]> images = new ArrayList<>();
    for (int i = 0; i < pool.size(); i++) {
      images.add(pool.pixels(i));
    }
    var r = org.ctnet.trainer.workflow.AdaptedExport.run(base, images, 16, 17, dir, 1,
        "the new source's training part (" + pool.size() + " images)");
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

  private TransferRun score(Path dir, Predictor m, String budget, int patients, int repeat, int trainImages,
      int validationImages, ImageStore test, double referenceBefore, double referenceAfter, double validationAuc,
      int bestEpoch, List<String> problems, long started) {
    Trainer.Evaluated e = Trainer.evaluate(m, test, 32);
    List<String> groups = test.dataset().samples().stream().map(Sample::group).toList();
    writeScores(dir, test, e);
    Evaluation ev;
    if (studyLabels) {
      // Study labels lock a scan threshold: the test part is judged per scan.
      var scans = org.ctnet.trainer.eval.ScanEvaluation.scans(e.positiveScores(), e.labels(), groups,
          m.assets().effectiveScanDecision().rule());
      ev = Evaluation.of("test scans", scans.scores(), scans.labels(), scans.names(),
          m.assets().effectiveScanDecision().threshold(), evaluation.bootstrap, Bootstrap.SEED);
    } else {
      ev = Evaluation.of("test", e.positiveScores(), e.labels(), groups, m.assets().decision().threshold(),
          evaluation.bootstrap, Bootstrap.SEED);
    }
    var auc = ev.metrics().get("roc_auc");
    var sens = ev.metrics().get("sensitivity");
    var spec = ev.metrics().get("specificity");
    return new TransferRun(budget, patients, repeat, trainImages, validationImages, test.size(), auc.value(), auc.lower(),
        auc.upper(), sens.value(), sens.lower(), sens.upper(), spec.value(), spec.lower(), spec.upper(),
        studyLabels ? m.assets().effectiveScanDecision().threshold() : m.assets().decision().threshold(),
        studyLabels ? m.assets().effectiveScanDecision().chosenFor() : m.assets().decision().chosenFor(), ev.brier(),
        ev.expectedCalibrationError(),
        referenceBefore, referenceAfter, m.assets().calibration().temperature(), validationAuc, bestEpoch,
        (System.nanoTime() - started) / 1e9, problems, scanAuc(m, e, groups));
  }

  /** The test part's slice scores of one run (path,label,group,score), for paired comparisons ({@code compare}). */
  private static void writeScores(Path dir, ImageStore test, Trainer.Evaluated e) {
    StringBuilder csv = new StringBuilder("path,label,group,score,source\n");
    for (int i = 0; i < test.size(); i++) {
      Sample s = test.sample(i);
      csv.append(org.ctnet.trainer.data.Csv.row(s.path(), s.label(), s.group(), Double.toString(e.positiveScores()[i]),
          s.source())).append('\n');
    }
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(TEST_SCORES), csv);
    } catch (IOException ex) {
      throw new java.io.UncheckedIOException(ex);
    }
  }

  /** ROC-AUC per patient: what a hospital that judges scans would see. */
  private static double scanAuc(Predictor m, Trainer.Evaluated e, List<String> groups) {
    var scans = org.ctnet.trainer.eval.ScanEvaluation.scans(e.positiveScores(), e.labels(), groups,
        m.assets().effectiveScanDecision().rule());
    return org.ctnet.trainer.eval.Metrics.rocAuc(scans.scores(), scans.labels());
  }

  private static int groupCount(ImageStore store) {
    return (int) store.dataset().samples().stream().map(Sample::group).distinct().count();
  }
}
