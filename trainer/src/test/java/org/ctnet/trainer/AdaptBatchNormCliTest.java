package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ctnet adapt-batch-norm: a new version whose batch-norm statistics moved to a darker, flatter
 * "hospital" and whose weights, threshold and other assets are the original's; bad input refused.
 */
class AdaptBatchNormCliTest {
  @TempDir Path dir;

  @Test
  void exportsAVersionWithTheNewSourcesStatisticsAndTheSameWeights() throws Exception {
    Path models = dir.resolve("models/blobs");
    try (ModelSession m = TestModels.trainedOnBlobs(15, 11)) {
      m.export(models, 1, m.assets());
    }
    Path hospital = Files.createDirectories(dir.resolve("hospital"));
    SyntheticImages.Batch b = SyntheticImages.blobs(9, 32, 5);
    for (int i = 0; i < b.count(); i++) {
      float[] image = new float[32 * 32];
      for (int p = 0; p < image.length; p++) {
        image[p] = 0.4f * b.pixels()[i * image.length + p] + 0.35f;
      }
      Files.write(hospital.resolve("slice-" + i + ".png"), SyntheticImages.png(image, 32, 32));
    }
    Files.writeString(hospital.resolve("broken.png"), "not an image");

    CliTest.Run r = CliTest.run("adapt-batch-norm", "--model", models.resolve("1").toString(), "--input",
        hospital.toString(), "--to", models.toString(), "--batch-size", "4");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("on 9 images (1 unreadable)") && r.out().contains("re-lock"), r.out());
    Path adapted = models.resolve("2");
    var note = new ObjectMapper().readTree(adapted.resolve("assets.extra").resolve(org.ctnet.trainer.workflow.AdaptedExport.ADAPTATION_FILE).toFile());
    assertEquals(9, note.get("images").asInt());
    assertEquals(Files.readString(models.resolve("1/assets.extra/decision.json")),
        Files.readString(adapted.resolve("assets.extra/decision.json")), "the decision is carried over");

    TrainingSpec training = TrainingSpec.defaults(OptimizerKind.ADAM);
    try (ModelSession model = ModelSession.rebuild(models.resolve("1"), training, SessionOptions.DEFAULT)) {
      Map<String, float[]> v1 = model.variableValues();
      // One graph for both versions (a graph build is most of this test's time): load version 2's weights into it.
      model.restoreNetworkWeights(adapted.resolve("variables").resolve("variables"));
      Map<String, float[]> v2 = model.variableValues();
      int moved = 0;
      for (String name : v1.keySet()) {
        if (name.endsWith("moving_mean") || name.endsWith("moving_variance")) {
          moved += java.util.Arrays.equals(v1.get(name), v2.get(name)) ? 0 : 1;
        } else if (!name.contains("global_step")) {
          assertArrayEquals(v1.get(name), v2.get(name), name + " is a weight: unchanged");
        }
      }
      assertTrue(moved > 0, "the statistics moved");
    }
    try (LoadedModel served = LoadedModel.load(adapted, SessionOptions.DEFAULT)) {
      assertEquals(2, served.predict(new float[32 * 32], 1).probabilities()[0].length, "the adapted version serves");
    }

    CliTest.Run tooFew = CliTest.run("adapt-batch-norm", "--model", models.resolve("1").toString(), "--input",
        hospital.resolve("slice-0.png").toString(), "--to", models.toString());
    assertEquals(1, tooFew.exitCode());
    assertTrue(tooFew.err().contains("at least 2 readable images"), tooFew.err());
    CliTest.Run badBatch = CliTest.run("adapt-batch-norm", "--model", models.resolve("1").toString(), "--input",
        hospital.toString(), "--to", models.toString(), "--batch-size", "1");
    assertEquals(2, badBatch.exitCode(), badBatch.err());
  }
}
