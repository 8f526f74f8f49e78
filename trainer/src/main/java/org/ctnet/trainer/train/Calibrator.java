package org.ctnet.trainer.train;

import java.io.IOException;
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.train.TrainingSpec;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.eval.TemperatureScaling;

/** Fits a temperature on validation images and returns the model with it baked into its graph. */
public final class Calibrator {
  private Calibrator() {}

  /**
   * @return a new session (the caller owns it) whose served logits are divided by the fitted
   *     temperature; {@code model} is left as it was
   */
  public static ModelSession calibrate(ModelSession model, ImageStore validation, TrainingSpec training,
      SessionOptions options) throws IOException {
    ModelAssets.Calibration calibration = ModelAssets.Calibration.none();
    if (validation.size() > 0) {
      Trainer.Evaluated val = Trainer.evaluate(model, validation, 32);
      // The margins are already divided by the model's current temperature: the fit scales it.
      double t = TemperatureScaling.fit(val.margins(), val.labels()) * model.assets().calibration().temperature();
      calibration = new ModelAssets.Calibration(t, String.format(
          "validation negative log-likelihood (%d images): %.4f at T=1, %.4f at T=%.3f", validation.size(),
          TemperatureScaling.nll(val.margins(), val.labels(), 1), TemperatureScaling.nll(val.margins(), val.labels(), t / model.assets().calibration().temperature()), t));
    }
    return model.withAssets(model.assets().withCalibration(calibration), training, options);
  }
}
