package org.ctnet.graph.testing;

import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;

/** Tiny models for tests in every module. */
public final class TestModels {
  private TestModels() {}

  public static NetworkSpec tinySpec() {
    return SpecJson.preset("tiny");
  }

  public static ModelSession tiny() {
    return ModelSession.create(ModelAssets.defaults(tinySpec()), TrainingSpec.defaults(OptimizerKind.ADAM), SessionOptions.DEFAULT);
  }

  public static ModelSession create(NetworkSpec spec, TrainingSpec training) {
    return ModelSession.create(ModelAssets.defaults(spec), training, SessionOptions.DEFAULT);
  }

  /**
   * Trains a tiny model on blob images for {@code steps} Adam steps: lr 0.01, then 0.001 for the
   * last third.
   */
  public static ModelSession trainedOnBlobs(int steps, long seed) {
    ModelSession model = tiny();
    int size = tinySpec().inputHeight();
    for (int s = 0; s < steps; s++) {
      SyntheticImages.Batch batch = SyntheticImages.blobs(16, size, seed * 1000 + s);
      float lr = s < steps * 2 / 3 ? 0.01f : 0.001f;
      model.trainStep(batch.pixels(), batch.count(), batch.labels(), lr, null);
    }
    return model;
  }
}
