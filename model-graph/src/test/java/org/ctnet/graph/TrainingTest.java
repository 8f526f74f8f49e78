package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.spec.HeadKind;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TrainingTest {
  private static final SyntheticImages.Batch BATCH = SyntheticImages.blobs(8, 32, 11);

  @Test
  void everyTrainableVariableGetsAGradient() {
    // One Adam step moves every variable with a non-zero gradient by about the learning rate: a
    // variable that does not move is cut off from the loss (e.g. an op without a gradient).
    try (ModelSession model = TestModels.tiny()) {
      Map<String, float[]> before = model.variableValues();
      model.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 1e-3f, null);
      Map<String, float[]> after = model.variableValues();
      for (var p : model.modelGraph().trainingGraph().trainedVariables()) {
        assertFalse(java.util.Arrays.equals(before.get(p.path()), after.get(p.path())), p.path() + " did not change");
      }
      assertEquals(1, model.globalStep());
    }
  }

  @ParameterizedTest
  @EnumSource(OptimizerKind.class)
  void tinyModelOverfitsASmallBatch(OptimizerKind optimizer) {
    float lr = optimizer == OptimizerKind.SGD_MOMENTUM ? 0.05f : 0.01f;
    try (ModelSession model = TestModels.create(TestModels.tinySpec(), TrainingSpec.defaults(optimizer))) {
      float first = model.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), lr, null).loss();
      float last = first;
      for (int i = 0; i < 150; i++) {
        last = model.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), lr, null).loss();
      }
      assertTrue(last < first / 10, optimizer + ": loss " + first + " -> " + last);
    }
  }

  @Test
  void binaryCrossEntropyHeadTrainsAndGivesConsistentProbabilities() {
    NetworkSpec spec = TestModels.tinySpec().withHead(HeadKind.SIGMOID);
    try (ModelSession model = TestModels.create(spec, TrainingSpec.defaults(OptimizerKind.ADAM))) {
      float first = model.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 0.01f, null).loss();
      float last = first;
      for (int i = 0; i < 150; i++) {
        last = model.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 0.01f, null).loss();
      }
      assertTrue(last < first / 10, "loss " + first + " -> " + last);
      var p = model.predict(BATCH.pixels(), BATCH.count());
      for (int i = 0; i < p.size(); i++) {
        double z = p.logits()[i][1] - p.logits()[i][0];
        assertEquals(1 / (1 + Math.exp(-z)), p.probabilities()[i][1], 1e-5);
        assertEquals(-p.logits()[i][0], p.logits()[i][1], 1e-6);
      }
    }
  }

  @Test
  void frozenScopesStayBitIdentical() {
    TrainingSpec frozen = TrainingSpec.defaults(OptimizerKind.ADAM).withFrozenScopes(List.of("stem", "stage1"));
    try (ModelSession model = TestModels.create(TestModels.tinySpec(), frozen)) {
      Map<String, float[]> before = model.variableValues();
      for (int i = 0; i < 5; i++) {
        model.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 0.01f, null);
      }
      Map<String, float[]> after = model.variableValues();
      int frozenCount = 0;
      for (String path : before.keySet()) {
        if (path.startsWith("stem/") || path.startsWith("stage1/")) {
          assertArrayEquals(before.get(path), after.get(path), path + " changed although frozen");
          frozenCount++;
        }
      }
      assertTrue(frozenCount > 20, "frozen variables checked: " + frozenCount);
      assertFalse(java.util.Arrays.equals(before.get("stage2/unit0/conv1/kernel"), after.get("stage2/unit0/conv1/kernel")));
      assertFalse(java.util.Arrays.equals(before.get("stage2/unit0/bn1/moving_mean"), after.get("stage2/unit0/bn1/moving_mean")));
    }
  }

  @Test
  void classWeightsChangeTheLoss() {
    try (ModelSession a = TestModels.tiny(); ModelSession b = TestModels.tiny()) {
      float plain = a.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 1e-6f, null).loss();
      float same = b.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 1e-6f, new float[] {1, 1}).loss();
      assertEquals(plain, same, 1e-6, "unit weights are the default");
      float weighted = b.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), 1e-6f, new float[] {5, 1}).loss();
      assertNotEquals(plain, weighted, 1e-4);
    }
  }

  @Test
  void badTrainingInputsAreRejectedClearly() {
    try (ModelSession model = TestModels.tiny()) {
      var e = assertThrows(IllegalArgumentException.class,
          () -> model.trainStep(BATCH.pixels(), BATCH.count(), new int[] {0, 1, 2, 0, 1, 0, 1, 0}, 0.01f, null));
      assertTrue(e.getMessage().contains("got 2"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> model.trainStep(BATCH.pixels(), 3, new int[] {0, 1, 0}, 0.01f, null));
      assertTrue(e.getMessage().contains("3 images"), e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> model.trainStep(BATCH.pixels(), BATCH.count(), BATCH.labels(), Float.NaN, null));
      e = assertThrows(IllegalArgumentException.class, () -> TestModels.create(TestModels.tinySpec(),
          TrainingSpec.defaults(OptimizerKind.ADAM).withFrozenScopes(List.of("stem", "stage1", "stage2", "features", "head"))));
      assertTrue(e.getMessage().contains("freeze every trainable variable"), e.getMessage());
    }
  }

  @Test
  void aCheckpointOfAnotherOptimizerIsRefusedWithTheReason(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws java.io.IOException {
    // Momentum has one slot per variable, Adam two: restoring Adam from it is missing keys, like a
    // checkpoint written before the slot names changed.
    java.nio.file.Path prefix = dir.resolve("ckpt");
    try (ModelSession sgd = TestModels.create(TestModels.tinySpec(), TrainingSpec.defaults(OptimizerKind.SGD_MOMENTUM))) {
      sgd.saveCheckpoint(prefix);
    }
    try (ModelSession adam = TestModels.tiny()) {
      var e = assertThrows(IllegalStateException.class, () -> adam.restoreCheckpoint(prefix));
      assertTrue(e.getMessage().contains("does not hold this model's variables") && e.getMessage().contains("without --resume"),
          e.getMessage());
    }
  }
}
