package org.ctnet.graph;

import org.ctnet.graph.runtime.LesionFeed;
import org.ctnet.graph.runtime.StepResult;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.lesion.Severity;
import org.ctnet.graph.runtime.LesionMaps;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.spec.LesionHeadSpec;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dense lesion head: trained on masks it learns to segment them, its involvement and severity
 * outputs follow their definitions from its own maps, and they survive export.
 */
class LesionHeadTest {
  private static final int SIZE = 32;

  static NetworkSpec tinyWithHead(boolean evidence) {
    return TestModels.tinySpec().withLesionHead(new LesionHeadSpec(1, List.of(16, 8, 8), evidence));
  }

  /** Blob masks (the positives' blobs are the lesions) and a fixed central "lung" square, both on the 32×32 grid. */
  private static LesionFeed feed(SyntheticImages.Batch batch) {
    int n = batch.count();
    float[] lesion = new float[n * SIZE * SIZE];
    float[] lung = new float[n * SIZE * SIZE];
    for (int i = 0; i < n; i++) {
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          int k = (i * SIZE + y) * SIZE + x;
          lesion[k] = batch.labels()[i] == 1 && batch.insideBlob(i, x, y) ? 1f : 0f;
          lung[k] = x >= 4 && x < 28 && y >= 4 && y < 28 ? 1f : 0f;
        }
      }
    }
    float[] ones = new float[n];
    java.util.Arrays.fill(ones, 1f);
    return new LesionFeed(ones.clone(), lesion, ones.clone(), lung, ones.clone());
  }

  private static double dice(float[] probabilities, float[] mask) {
    double both = 0;
    double sum = 0;
    for (int k = 0; k < mask.length; k++) {
      boolean p = probabilities[k] > 0.5f;
      both += p && mask[k] > 0.5f ? 1 : 0;
      sum += (p ? 1 : 0) + (mask[k] > 0.5f ? 1 : 0);
    }
    return sum == 0 ? 1 : 2 * both / sum;
  }

  @Test
  void theHeadLearnsTheMasksAndItsReadoutFollowsItsDefinitions(@TempDir Path dir) throws IOException {
    try (ModelSession model = TestModels.create(tinyWithHead(true), TrainingSpec.defaults(OptimizerKind.ADAM))) {
      assertArrayEquals(new int[] {SIZE, SIZE}, model.lesionGrid());
      assertTrue(model.hasLesionHead());
      float first = Float.NaN;
      float last = Float.NaN;
      for (int s = 0; s < 250; s++) {
        SyntheticImages.Batch batch = SyntheticImages.blobs(16, SIZE, 100 + s);
        StepResult step = model.trainStep(batch.pixels(), batch.count(), batch.labels(),
            s < 180 ? 0.003f : 0.0005f, null, feed(batch));
        first = s == 0 ? step.lesionLoss() : first;
        last = step.lesionLoss();
      }
      assertTrue(last < 0.5 * first, "lesion loss " + first + " → " + last);

      SyntheticImages.Batch test = SyntheticImages.blobs(32, SIZE, 99_999);
      LesionMaps p = model.predict(test.pixels(), test.count()).lesion();
      assertEquals(SIZE, p.height());
      LesionFeed truth = feed(test);
      double diceSum = 0;
      int positives = 0;
      for (int i = 0; i < test.count(); i++) {
        float[] mask = java.util.Arrays.copyOfRange(truth.masks(), i * SIZE * SIZE, (i + 1) * SIZE * SIZE);
        if (test.labels()[i] == 1) {
          diceSum += dice(p.lesionMaps()[i], mask);
          positives++;
        }
        // Involvement from its definition on the maps (the head's grid is the input here).
        int lung = 0;
        int both = 0;
        for (int k = 0; k < SIZE * SIZE; k++) {
          boolean inLung = p.lungMaps()[i][k] > 0.5f;
          lung += inLung ? 1 : 0;
          both += inLung && p.lesionMaps()[i][k] > 0.5f ? 1 : 0;
        }
        assertEquals(lung == 0 ? 0 : (double) both / lung, p.involvement()[i], 1e-6, "image " + i);
        assertEquals(Severity.of(p.involvement()[i]), p.severityOf(i), "image " + i);
      }
      assertTrue(diceSum / positives > 0.6, "mean Dice on new blobs " + diceSum / positives);

      Path version = model.export(dir.resolve("m"), 1, model.assets());
      try (LoadedModel loaded = LoadedModel.load(version, SessionOptions.DEFAULT)) {
        assertTrue(loaded.hasLesionHead());
        for (String key : List.of(ModelNames.SERVING_DEFAULT, ModelNames.SERVING_BYTES, ModelNames.EXPLAIN)) {
          assertTrue(loaded.signatures().get(key).getOutputs().keySet().containsAll(ModelNames.LESION_OUTPUTS), key);
        }
        LesionMaps again = loaded.predict(test.pixels(), test.count()).lesion();
        assertArrayEquals(p.involvement(), again.involvement(), 1e-6f);
        assertArrayEquals(p.lesionMaps()[3], again.lesionMaps()[3], 1e-5f);
        assertEquals(NetworkSpec.class, loaded.spec().getClass());
        assertNotNull(loaded.spec().lesionHead(), "model.json keeps the head");
      }
    }
  }

  @Test
  void aModelWithoutTheHeadSaysSo() {
    try (ModelSession model = TestModels.tiny()) {
      assertFalse(model.hasLesionHead());
      assertNull(model.predict(new float[SIZE * SIZE], 1).lesion());
      assertNull(model.explain(new float[SIZE * SIZE], 1, new int[] {-1}).prediction().lesion());
    }
  }

  @Test
  void specChecksTheDecoderLevelsAndOldSpecsHaveNoHead() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> TestModels.tinySpec().withLesionHead(new LesionHeadSpec(1, List.of(8, 8), false)));
    assertTrue(e.getMessage().contains("one entry per decoder level, 3 here"), e.getMessage());
    assertTrue(e.getMessage().contains("stage2/unit0@8x8"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> TestModels.tinySpec().withLesionHead(new LesionHeadSpec(2, List.of(8, 8, 8), false)));
    assertNull(TestModels.tinySpec().lesionHead());
    NetworkSpec round = SpecJson.fromJson(SpecJson.toJson(tinyWithHead(true)));
    assertEquals(tinyWithHead(true), round);
  }

  @Test
  void severityCategoriesFollowTheMosMedBounds() {
    assertEquals(Severity.CT_0, Severity.of(0));
    assertEquals(Severity.CT_0, Severity.of(0.0099));
    assertEquals(Severity.CT_1, Severity.of(0.01));
    assertEquals(Severity.CT_1, Severity.of(0.2499));
    assertEquals(Severity.CT_2, Severity.of(0.25));
    assertEquals(Severity.CT_3, Severity.of(0.6));
    assertEquals(Severity.CT_4, Severity.of(0.76));
    assertEquals("CT-4", Severity.CT_4.code());
  }
}
