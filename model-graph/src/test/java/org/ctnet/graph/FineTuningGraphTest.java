package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What fine-tuning relies on in the graph: batch-norm modes, L2-SP, label smoothing, temperature. */
class FineTuningGraphTest {
  private static final SyntheticImages.Batch BATCH = SyntheticImages.blobs(8, 32, 23);
  @TempDir static Path shared;
  /** A tiny model trained a few steps (moving statistics away from 0/1), exported as version 1. */
  static ModelSession base;
  static Path version;

  @org.junit.jupiter.api.BeforeAll
  static void exportBase() throws Exception {
    base = TestModels.tiny();
    warmUp(base);
    version = base.export(shared, 1, base.assets());
  }

  @org.junit.jupiter.api.AfterAll
  static void closeBase() {
    base.close();
  }

  /** A few steps so the moving statistics are no longer the initial 0/1 and differ from batch statistics. */
  private static void warmUp(ModelSession model) {
    for (int i = 0; i < 5; i++) {
      SyntheticImages.Batch b = SyntheticImages.blobs(8, 32, 100 + i);
      model.trainStep(b.pixels(), b.count(), b.labels(), 0.01f, null);
    }
  }

  private static double maxDifference(float[][] a, float[][] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        d = Math.max(d, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return d;
  }

  @Test
  void frozenBatchNormTrainsOnTheInferencePathsStatistics() throws Exception {
    // The tiny preset has no dropout: with every batch norm on its moving statistics, the training
    // path computes exactly what serving computes; with batch statistics it does not.
    TrainingSpec adam = TrainingSpec.defaults(OptimizerKind.ADAM);
    try (ModelSession frozen = ModelSession.rebuild(version, adam.withBatchNorm(TrainingSpec.BatchNormMode.FROZEN),
            SessionOptions.DEFAULT);
        ModelSession batchStats = ModelSession.rebuild(version, adam, SessionOptions.DEFAULT)) {
      float[][] served = frozen.predict(BATCH.pixels(), BATCH.count()).logits();
      float[][] trainFrozen = frozen.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 1e-4f, null).logits();
      float[][] trainBatch = batchStats.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 1e-4f, null).logits();
      assertTrue(maxDifference(served, trainFrozen) < 1e-4, "frozen BN: " + maxDifference(served, trainFrozen));
      assertTrue(maxDifference(served, trainBatch) > 1e-3, "batch statistics: " + maxDifference(served, trainBatch));
      // Frozen: the moving statistics are not updated by the step; with batch statistics they are.
      Map<String, float[]> frozenAfter = frozen.variableValues();
      Map<String, float[]> batchAfter = batchStats.variableValues();
      {
        Map<String, float[]> start = base.variableValues();
        int moving = 0;
        for (String path : start.keySet()) {
          if (path.endsWith("moving_mean") || path.endsWith("moving_variance")) {
            moving++;
            assertArrayEquals(start.get(path), frozenAfter.get(path), path + " moved with frozen batch norm");
            assertFalse(java.util.Arrays.equals(start.get(path), batchAfter.get(path)), path + " did not move");
          }
        }
        assertTrue(moving > 4);
      }
    }
  }

  @Test
  void frozenScopesNormaliseWithTheirMovingStatistics() throws Exception {
    TrainingSpec stemFrozen = TrainingSpec.defaults(OptimizerKind.ADAM).withFrozenScopes(java.util.List.of("stem"));
    try (ModelSession model = ModelSession.rebuild(version, stemFrozen, SessionOptions.DEFAULT)) {
      Map<String, float[]> before = model.variableValues();
      for (int i = 0; i < 3; i++) {
        model.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 0.01f, null);
      }
      Map<String, float[]> after = model.variableValues();
      before.forEach((path, value) -> {
        if (path.startsWith("stem/")) {
          assertArrayEquals(value, after.get(path), path + " is frozen but changed");
        }
      });
      assertTrue(before.keySet().stream().anyMatch(p -> !p.startsWith("stem/") && p.endsWith("moving_mean")
          && !java.util.Arrays.equals(before.get(p), after.get(p))), "unfrozen batch norms keep learning statistics");
    }
  }

  private static double distance(Map<String, float[]> a, Map<String, float[]> b, ModelSession model) {
    double s = 0;
    for (var p : model.modelGraph().trainingGraph().trainedVariables()) {
      if (p.role() == org.ctnet.graph.layers.ParameterStore.Role.KERNEL) {
        float[] x = a.get(p.path());
        float[] y = b.get(p.path());
        for (int i = 0; i < x.length; i++) {
          s += (x[i] - y[i]) * (double) (x[i] - y[i]);
        }
      }
    }
    return Math.sqrt(s);
  }

  @Test
  void l2spKeepsKernelsCloserToWhereTheyStarted() throws Exception {
    TrainingSpec sgd = TrainingSpec.defaults(OptimizerKind.SGD_MOMENTUM);
    double[] moved = new double[2];
    double[] alphas = {0, 0.9};
    for (int k = 0; k < 2; k++) {
      try (ModelSession model = ModelSession.rebuild(version, sgd.withL2sp(alphas[k]), SessionOptions.DEFAULT)) {
        Map<String, float[]> start = model.variableValues();
        for (int i = 0; i < 40; i++) {
          SyntheticImages.Batch b = SyntheticImages.blobs(8, 32, 500 + i);
          // Flipped labels: the data pulls the weights far from the starting point.
          int[] flipped = java.util.Arrays.stream(b.labels()).map(l -> 1 - l).toArray();
          model.trainStep(b.pixels(), b.count(), flipped, 0.05f, null);
        }
        moved[k] = distance(start, model.variableValues(), model);
      }
    }
    assertTrue(moved[1] < 0.8 * moved[0], "L2-SP moved the kernels " + moved[1] + " vs " + moved[0] + " without");
  }

  @Test
  void labelSmoothingLossMatchesTheSmoothedCrossEntropy() {
    double eps = 0.2;
    try (ModelSession smooth = TestModels.create(TestModels.tinySpec(),
        TrainingSpec.defaults(OptimizerKind.ADAM).withLabelSmoothing(eps))) {
      // The loss is reported before the update: recompute it from the training-path logits.
      var step = smooth.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 1e-6f, null);
      double expected = 0;
      for (int i = 0; i < BATCH.count(); i++) {
        float[] z = step.logits()[i];
        double max = Math.max(z[0], z[1]);
        double logSum = max + Math.log(Math.exp(z[0] - max) + Math.exp(z[1] - max));
        for (int c = 0; c < 2; c++) {
          double target = (c == BATCH.labels()[i] ? 1 - eps : 0) + eps / 2;
          expected -= target * (z[c] - logSum);
        }
      }
      expected /= BATCH.count();
      assertEquals(expected, step.loss(), 1e-4);
    }
  }

  @Test
  void temperatureDividesServedLogitsAndTravelsWithTheExport(@TempDir Path dir) throws Exception {
    ModelSession model = base;
    ModelAssets calibrated = model.assets().withCalibration(new ModelAssets.Calibration(2.5, "test"))
        .withDecision(new ModelAssets.Decision(0.3, "test rule"));
    try (ModelSession hot = model.withAssets(calibrated, TrainingSpec.defaults(OptimizerKind.ADAM), SessionOptions.DEFAULT)) {
      var raw = model.predict(BATCH.pixels(), BATCH.count());
      var scaled = hot.predict(BATCH.pixels(), BATCH.count());
      for (int i = 0; i < BATCH.count(); i++) {
        for (int c = 0; c < 2; c++) {
          assertEquals(raw.logits()[i][c] / 2.5, scaled.logits()[i][c], 1e-5);
        }
        double margin = (raw.logits()[i][1] - raw.logits()[i][0]) / 2.5;
        assertEquals(1 / (1 + Math.exp(-margin)), scaled.probabilities()[i][1], 1e-5);
      }
      Path version = hot.export(dir, 3, hot.assets());
      assertTrue(Files.readString(version.resolve("assets.extra/calibration.json")).contains("2.5"));
      assertTrue(Files.readString(version.resolve("assets.extra/decision.json")).contains("0.3"));
      assertFalse(Files.readString(version.resolve("assets.extra/preprocessing.json")).contains("threshold"));
      try (LoadedModel loaded = LoadedModel.load(version, SessionOptions.DEFAULT)) {
        assertEquals(2.5, loaded.assets().calibration().temperature());
        assertEquals(0.3, loaded.assets().decision().threshold());
        assertArrayEquals(scaled.probabilities()[0], loaded.predict(BATCH.pixels(), BATCH.count()).probabilities()[0], 1e-6f);
      }
    }
  }

  @Test
  void modelsExportedBeforeDecisionJsonStillReadTheirThreshold(@TempDir Path dir) throws Exception {
    Path assets = Files.createDirectories(dir.resolve("assets.extra"));
    ModelAssets.defaults(TestModels.tinySpec()).write(dir);
    Files.delete(assets.resolve("decision.json"));
    Files.delete(assets.resolve("calibration.json"));
    Files.writeString(assets.resolve("preprocessing.json"), """
        {"preprocessing":{"height":32,"width":32,"channels":1,"mean":0.5,"std":0.25,"windowCenter":-600.0,
         "windowWidth":1500.0},"decision":{"threshold":0.0038,"chosenFor":"old rule"},"resize":"bilinear"}""");
    ModelAssets read = ModelAssets.read(dir);
    assertEquals(0.0038, read.decision().threshold());
    assertEquals(1.0, read.calibration().temperature());
  }
}
