package org.ctnet.trainer.workflow;

import org.ctnet.trainer.train.RunFiles;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.eval.EpochRecord;
import org.ctnet.trainer.train.TrainConfig;
import org.ctnet.trainer.train.Trainer;

/**
 * The end shared by {@code train} and {@code fine-tune}: the trained, calibrated model evaluated on
 * validation and test with its locked decision, the report written, and the version exported with
 * the report and its training record in {@code assets.extra}.
 */
public final class Publication {
  private Publication() {}

  /** How the data was split: the seed, the part sizes, and whether whole groups were kept together. */
  public record SplitRecord(long seed, String summary, boolean grouped) {}

  /** {@code training.json}: what was trained on what, how, and how it went. Absent parts are left out. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TrainingRecord(
      String model,
      @JsonProperty("fine_tuned_from") String fineTunedFrom,
      NetworkSpec spec,
      String data,
      SplitRecord split,
      TrainConfig training,
      @JsonProperty("best_epoch") Integer bestEpoch,
      @JsonProperty("skipped_images") Integer skippedImages,
      String reference,
      FineTuning.Scores before,
      FineTuning.Scores after,
      List<String> problems) {
    /** A model trained from scratch. */
    public static TrainingRecord trained(String model, NetworkSpec spec, String data, SplitRecord split,
        TrainConfig training, int bestEpoch, int skippedImages) {
      return new TrainingRecord(model, null, spec, data, split, training, bestEpoch, skippedImages, null, null, null, null);
    }

    /** A model fine-tuned from {@code base}, with its scores before and after and what went wrong. */
    public static TrainingRecord fineTuned(String model, Path base, String data, SplitRecord split, TrainConfig training,
        String reference, FineTuning.Scores before, FineTuning.Scores after, List<String> problems) {
      return new TrainingRecord(model, base.toString(), null, data, split, training, null, null, reference, before, after,
          problems);
    }
  }

  /** Evaluates and writes the report to {@code run/report}, locking the scan decision on validation. */
  public static ModelReport.Result report(ModelSession model, ImageStore validation, ImageStore test,
      double targetSensitivity, int bootstrap, List<EpochRecord> history, TrainingRecord record, Path run,
      PrintWriter out) throws IOException {
    return ModelReport.evaluateAndWrite(model, model.assets(), validation, test, targetSensitivity, bootstrap, history,
        record.model(), record, run.resolve("report"), out);
  }

  /**
   * Exports {@code model} as {@code modelDir/version} (0 = the next free version) with the report's
   * assets, the report and the training record; returns the published folder.
   */
  public static Path export(ModelSession model, ModelReport.Result report, TrainingRecord record, Path run,
      Path modelDir, long version, PrintWriter out) throws IOException {
    long v = version > 0 ? version : ModelExport.latestVersion(modelDir).orElse(0) + 1;
    Path published = model.export(modelDir, v, report.assets(), staging -> {
      ModelReport.copyInto(run.resolve("report"), staging.resolve("assets.extra").resolve("report"));
      RunFiles.writeJson(staging.resolve("assets.extra").resolve("training.json"), record);
    });
    out.println("exported " + published);
    return published;
  }
}
