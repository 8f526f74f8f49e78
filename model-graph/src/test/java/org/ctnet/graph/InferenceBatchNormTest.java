package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.runtime.TensorIo;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.types.TFloat32;

/**
 * The inference path lowers batch norms that follow an addition to a per-channel scale and shift
 * (TensorFlow's inference FusedBatchNormV3 was most of the forward time). Reference: the same
 * weights' training path with batch norm frozen, which runs every batch norm as FusedBatchNormV3 in
 * inference mode: the logits agree within 1e-5.
 */
class InferenceBatchNormTest {
  @TempDir Path dir;

  @Test
  void servedLogitsEqualTheFusedBatchNormReference() throws Exception {
    Path version;
    try (ModelSession trained = TestModels.trainedOnBlobs(20, 4)) {
      version = trained.export(dir, 1, trained.assets()); // moving statistics far from their 0/1 start
    }
    TrainingSpec frozen = TrainingSpec.defaults(OptimizerKind.ADAM).withBatchNorm(TrainingSpec.BatchNormMode.FROZEN);
    try (ModelSession model = ModelSession.rebuild(version, frozen, SessionOptions.DEFAULT)) {
      ModelGraph g = model.modelGraph();
      assertTrue(countOps(model, "FusedBatchNormV3") > 0, "the reference path runs fused batch norms");
      assertTrue(countOps(model, "Rsqrt") > 0, "the served path runs some as a scale and shift");
      SyntheticImages.Batch batch = SyntheticImages.blobs(6, 32, 1234);
      try (TFloat32 images = TensorIo.floats(batch.pixels(), 6, 32, 32, 1);
          Result r = model.session().runner().feed(g.images(), images).fetch(g.logits()).fetch(g.trainLogits()).run()) {
        float[] served = TensorIo.readFloats(r.get(0));
        float[] reference = TensorIo.readFloats(r.get(1));
        double largest = 0;
        for (int i = 0; i < served.length; i++) {
          assertEquals(reference[i], served[i], 1e-5, "logit " + i);
          largest = Math.max(largest, Math.abs(reference[i]));
        }
        assertTrue(largest > 0.01, "logits that are not trivially zero: " + largest);
      }
    }
  }

  private static long countOps(ModelSession model, String type) {
    long n = 0;
    for (var it = model.session().graph().operations(); it.hasNext(); ) {
      if (it.next().type().equals(type)) {
        n++;
      }
    }
    return n;
  }
}
