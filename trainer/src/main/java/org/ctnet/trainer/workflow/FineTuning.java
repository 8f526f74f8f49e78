package org.ctnet.trainer.workflow;

import org.ctnet.trainer.train.HeldOutScores;
import org.ctnet.graph.runtime.Predictor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.train.Calibrator;
import org.ctnet.trainer.train.RunState;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.train.Trainer;
import org.ctnet.trainer.train.Validation;
import org.ctnet.trainer.data.StudyStore;

/**
 * Fine-tuning an exported model on a new source, the one workflow behind {@code ctnet fine-tune}
 * and {@code ctnet transfer-study}: rebuild the base with the recipe's training step, score the
 * starting point, train (rehearsing the reference source if the recipe mixes it in), calibrate the
 * temperature and lock the threshold on the new source's validation images, score again and judge
 * whether the result is better than where it started.
 */
public final class FineTuning {
  /** A reference-source ROC-AUC drop beyond this counts as forgetting. */
  public static final double MAX_REFERENCE_DROP = 0.05;

  private FineTuning() {}

  /** ROC-AUCs at one point in time; NaN where the set is absent or holds one class. */
  public record Scores(double validationAuc, double referenceAuc) {}

  /**
   * @param model the fine-tuned, calibrated model with its locked decision (the caller closes it)
   * @param problems why the result is worse than the starting point; empty when it is not
   */
  public record Result(ModelSession model, RunState state, Scores before, Scores after, List<String> problems) {
    public boolean worseThanStart() {
      return !problems.isEmpty();
    }
  }

  /**
   * @param rehearsal reference-source images mixed into training (may be null when the recipe
   *     has no reference mix)
   * @param referenceCheck held-out reference-source images scored before and after (may be null)
   */
  public static Result run(Path baseVersion, TrainConfig config, SessionOptions options, double targetSensitivity,
      ImageStore train, ImageStore validation, ImageStore rehearsal, ImageStore referenceCheck, Path runDir,
      boolean resume, PrintWriter out) throws IOException {
    return run(baseVersion, config, options, targetSensitivity,
        new Inputs(train, null, validation, null, rehearsal, referenceCheck), runDir, resume, out);
  }

  /**
   * What a fine-tune learns from and is judged on: slice-labelled images, studies with one label
   * each, or both. With validation studies the run is judged, calibrated and its scan threshold
   * locked on them (the level the hospital decides on); otherwise on the validation images.
   *
   * @param train slice-labelled training images (may be null or empty when studies carry the run)
   * @param trainStudies studies trained as bags (may be null)
   * @param validation slice-labelled validation images (may be null or empty)
   * @param validationStudies validation studies (may be null)
   * @param rehearsal reference-source images mixed into training (may be null)
   * @param referenceCheck held-out reference-source images scored before and after (may be null)
   */
  public record Inputs(ImageStore train, StudyStore trainStudies, ImageStore validation, StudyStore validationStudies,
      ImageStore rehearsal, ImageStore referenceCheck) {
    boolean judgedOnStudies() {
      return validationStudies != null && validationStudies.size() > 0;
    }

    Validation judge() {
      return judgedOnStudies() ? Validation.studies(validationStudies) : Validation.slices(validation);
    }
  }

  public static Result run(Path baseVersion, TrainConfig config, SessionOptions options, double targetSensitivity,
      Inputs inputs, Path runDir, boolean resume, PrintWriter out) throws IOException {
    try (ModelSession session = ModelSession.rebuild(baseVersion, config.trainingSpec(), options)) {
      Validation judge = inputs.judge();
      Scores before = scores(session, judge, inputs.referenceCheck());
      out.printf("before fine-tuning: validation AUC %.4f (%s), reference AUC %.4f%n", before.validationAuc(),
          judge.describe(), before.referenceAuc());
      Trainer.Sets sets = new Trainer.Sets(inputs.train(), config.referenceMix() > 0 ? inputs.rehearsal() : null, null,
          inputs.trainStudies());
      RunState state = new Trainer(session, config, runDir, out).train(sets, judge, resume);
      ModelSession calibrated = inputs.judgedOnStudies()
          ? Calibrator.calibrateAndLockOnStudies(session, inputs.validationStudies(), inputs.validation(),
              targetSensitivity, config.trainingSpec(), options)
          : Calibrator.calibrateAndLock(session, inputs.validation(), targetSensitivity, config.trainingSpec(), options);
      try {
        Scores after = scores(calibrated, judge, inputs.referenceCheck());
        out.printf("after fine-tuning: validation AUC %.4f, reference AUC %.4f; %s; %s%s%n", after.validationAuc(),
            after.referenceAuc(), calibrated.assets().calibration().fittedOn(), calibrated.assets().decision().chosenFor(),
            inputs.judgedOnStudies() ? "; scan threshold " + calibrated.assets().effectiveScanDecision().threshold() + " ("
                + calibrated.assets().effectiveScanDecision().chosenFor() + ")" : "");
        return new Result(calibrated, state, before, after, problems(before, after));
      } catch (RuntimeException e) {
        calibrated.close();
        throw e;
      }
    }
  }

  /** Why a fine-tune ended worse than it started (empty when it did not). */
  public static List<String> problems(Scores before, Scores after) {
    List<String> problems = new ArrayList<>();
    if (after.validationAuc() < before.validationAuc()) {
      problems.add(String.format("validation ROC-AUC %.4f is below the starting model's %.4f", after.validationAuc(),
          before.validationAuc()));
    }
    if (before.referenceAuc() - after.referenceAuc() > MAX_REFERENCE_DROP) {
      problems.add(String.format("reference ROC-AUC fell from %.4f to %.4f (more than %.2f): the model forgot the "
          + "reference source", before.referenceAuc(), after.referenceAuc(), MAX_REFERENCE_DROP));
    }
    return problems;
  }

  static Scores scores(Predictor model, Validation validation, ImageStore reference) {
    HeldOutScores e = validation.evaluate(model);
    double auc = e.labels().length == 0 ? Double.NaN
        : org.ctnet.trainer.eval.Metrics.rocAuc(e.positiveScores(), e.labels());
    return new Scores(auc, auc(model, reference));
  }

  /** ROC-AUC of a model on a set; NaN when the set is absent, empty or holds one class. */
  public static double auc(Predictor model, ImageStore data) {
    if (data == null || data.size() == 0) {
      return Double.NaN;
    }
    HeldOutScores e = HeldOutScores.of(model, data, 32);
    return org.ctnet.trainer.eval.Metrics.rocAuc(e.positiveScores(), e.labels());
  }
}
