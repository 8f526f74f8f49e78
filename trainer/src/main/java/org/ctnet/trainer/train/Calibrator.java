package org.ctnet.trainer.train;

import java.io.IOException;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.train.TrainingSpec;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.StudyStore;
import org.ctnet.trainer.eval.DecisionRule;
import org.ctnet.trainer.eval.TemperatureScaling;

/**
 * Fits a temperature on validation images, locks the decision threshold on the calibrated
 * validation probabilities, and returns the model with both (the temperature is baked into the
 * graph, so TF Serving clients get calibrated probabilities too).
 */
public final class Calibrator {
  /**
   * Fewer validation images than this may soften the probabilities (T > 1) but not sharpen them:
   * a small, well-separated validation set pushes the NLL-optimal temperature toward 0 (measured:
   * T = 0.19 on 36 images), which would make every new patient look certain.
   */
  public static final int MIN_IMAGES_TO_SHARPEN = 200;

  private Calibrator() {}

  /**
   * @return a new session (the caller owns it); {@code model} is left as it was
   */
  public static ModelSession calibrateAndLock(ModelSession model, ImageStore validation, double targetSensitivity,
      TrainingSpec training, SessionOptions options) throws IOException {
    ModelAssets assets = model.assets();
    if (validation.size() > 0) {
      HeldOutScores val = HeldOutScores.of(model, validation, 32);
      double current = assets.calibration().temperature();
      // The margins are already divided by the model's current temperature: the fit scales it.
      double fitted = TemperatureScaling.fit(val.margins(), val.labels());
      boolean capped = fitted < 1 && validation.size() < MIN_IMAGES_TO_SHARPEN;
      double relative = capped ? 1 : fitted;
      double t = relative * current;
      assets = assets.withCalibration(new ModelAssets.Calibration(t, String.format(
          "validation negative log-likelihood (%d images): %.4f before, %.4f at T=%.3f%s", validation.size(),
          TemperatureScaling.nll(val.margins(), val.labels(), 1), TemperatureScaling.nll(val.margins(), val.labels(), relative),
          t, capped ? String.format(" (the fit asked for %.3f times sharper; fewer than %d validation images may not "
              + "sharpen)", fitted, MIN_IMAGES_TO_SHARPEN) : "")));
      double[] calibrated = new double[val.margins().length];
      for (int i = 0; i < calibrated.length; i++) {
        calibrated[i] = TemperatureScaling.probability(val.margins()[i], relative);
      }
      assets = assets.withDecision(DecisionRule.lock(calibrated, val.labels(), targetSensitivity));
    }
    return model.withAssets(assets, training, options);
  }

  /**
   * Fewer validation studies than this may soften the probabilities but not sharpen them (as
   * {@link #MIN_IMAGES_TO_SHARPEN} for images: a few well-separated studies ask for T near 0).
   */
  public static final int MIN_STUDIES_TO_SHARPEN = 30;

  /**
   * Study labels: the temperature fitted on the validation studies' scan probabilities (the served
   * scan rule over temperature-scaled slices), the scan threshold locked on them. The slice
   * threshold is locked on {@code sliceValidation} where slice labels exist (both classes present);
   * otherwise single slices are judged by the scan threshold, and the decision says so.
   *
   * @param sliceValidation slice-labelled validation images (may be null or empty)
   * @return a new session (the caller owns it); {@code model} is left as it was
   */
  public static ModelSession calibrateAndLockOnStudies(ModelSession model, StudyStore validation,
      ImageStore sliceValidation, double targetSensitivity, TrainingSpec training, SessionOptions options)
      throws IOException {
    ModelAssets assets = model.assets();
    if (validation.size() == 0) {
      throw new IOException("locking a scan threshold on studies needs validation studies; there are none");
    }
    StudyScores scores = StudyScores.of(model, validation);
    double current = assets.calibration().temperature();
    double fitted = hasBothClasses(scores.labels()) ? TemperatureScaling.minimise(t -> scores.atTemperature(t).nll()) : 1;
    boolean capped = fitted < 1 && validation.size() < MIN_STUDIES_TO_SHARPEN;
    double relative = capped ? 1 : fitted;
    StudyScores calibrated = scores.atTemperature(relative);
    assets = assets.withCalibration(new ModelAssets.Calibration(relative * current, String.format(
        "validation studies' negative log-likelihood (%d studies, %s): %.4f before, %.4f at T=%.3f%s", validation.size(),
        scores.rule().description(), scores.nll(), calibrated.nll(), relative * current,
        capped ? String.format(" (the fit asked for %.3f times sharper; fewer than %d validation studies may not sharpen)",
            fitted, MIN_STUDIES_TO_SHARPEN) : "")));
    ModelAssets.Decision scanLock = DecisionRule.lock(calibrated.probabilities(), calibrated.labels(), targetSensitivity,
        "studies");
    assets = assets.withScanDecision(new ModelAssets.ScanDecision(scores.rule(), scanLock.threshold(), scanLock.chosenFor()));
    if (sliceValidation != null && hasBothClasses(sliceValidation.labels())) {
      HeldOutScores slices = HeldOutScores.of(model, sliceValidation, 32);
      double[] p = new double[slices.margins().length];
      for (int i = 0; i < p.length; i++) {
        p[i] = TemperatureScaling.probability(slices.margins()[i], relative);
      }
      assets = assets.withDecision(DecisionRule.lock(p, slices.labels(), targetSensitivity));
    } else {
      assets = assets.withDecision(new ModelAssets.Decision(scanLock.threshold(),
          "no slice labels: single slices are judged by the scan threshold (" + scanLock.chosenFor() + ")"));
    }
    return model.withAssets(assets, training, options);
  }

  private static boolean hasBothClasses(int[] labels) {
    boolean positive = false;
    boolean negative = false;
    for (int l : labels) {
      positive |= l != 0;
      negative |= l == 0;
    }
    return positive && negative;
  }
}
