package org.ctnet.trainer.train;

import java.io.IOException;
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.train.TrainingSpec;
import org.ctnet.trainer.data.ImageStore;
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
      Trainer.Evaluated val = Trainer.evaluate(model, validation, 32);
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
}
