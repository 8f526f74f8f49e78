package org.ctnet.graph;

import org.ctnet.graph.runtime.LesionFeed;
import org.ctnet.graph.runtime.StepResult;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lesion term of the training loss: its value, that it is off by default, and that it moves the maps. */
class LesionGuidanceTest {
  private static final int SIZE = 32;
  private static final TrainingSpec FROZEN_GUIDED = TrainingSpec.defaults(OptimizerKind.ADAM)
      .withBatchNorm(TrainingSpec.BatchNormMode.FROZEN).withLesionGuidance(true);

  /** Left half of every image as the "lesion", averaged onto the grid (a region the blob task does not use). */
  private static float[] leftHalfMasks(int n, int[] grid) {
    float[] masks = new float[n * grid[0] * grid[1]];
    for (int i = 0; i < n; i++) {
      for (int r = 0; r < grid[0]; r++) {
        for (int c = 0; c < grid[1]; c++) {
          masks[(i * grid[0] + r) * grid[1] + c] = c < grid[1] / 2 ? 1f : 0f;
        }
      }
    }
    return masks;
  }

  private static float[] filled(int n, float value) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, value);
    return a;
  }

  /** Σ cam·(1 − m) / Σ cam per image from the explain signature's Grad-CAM (unnormalised share: max cancels). */
  private static double[] outsideShare(ModelSession model, SyntheticImages.Batch batch, float[] masks, int[] grid) {
    int[] positive = new int[batch.count()];
    java.util.Arrays.fill(positive, model.spec().numClasses() - 1);
    Explanation e = model.explain(batch.pixels(), batch.count(), positive);
    Explanation.Maps maps = e.maps().get(CamMethod.GRAD_CAM);
    assertEquals(grid[0], maps.camHeight());
    assertEquals(grid[1], maps.camWidth());
    double[] share = new double[batch.count()];
    int cells = grid[0] * grid[1];
    for (int i = 0; i < batch.count(); i++) {
      double outside = 0;
      double total = 0;
      for (int k = 0; k < cells; k++) {
        float v = maps.cam()[i][k];
        outside += v * (1 - masks[i * cells + k]);
        total += v;
      }
      share[i] = total == 0 ? 0 : outside / total;
    }
    return share;
  }

  @TempDir static Path shared;
  /** A tiny model trained 30 steps on blobs, exported as version 1 (rebuilt with guidance by the tests). */
  static Path version;

  @org.junit.jupiter.api.BeforeAll
  static void exportBase() throws Exception {
    try (ModelSession base = TestModels.trainedOnBlobs(30, 4)) {
      version = base.export(shared, 1, base.assets());
    }
  }

  @Test
  void lesionTermIsAContrastAndGuidanceAloneMovesTheServedMapIntoTheMask() throws Exception {
    try (ModelSession model = ModelSession.rebuild(version, FROZEN_GUIDED, SessionOptions.DEFAULT)) {
      int[] grid = model.lesionGrid();
      assertNotNull(grid);
      SyntheticImages.Batch batch = SyntheticImages.blobs(8, SIZE, 77);
      int cells = grid[0] * grid[1];
      // A mask covering the whole grid (or none of it) says nothing about where: the term is 0.
      float[] full = new float[8 * cells];
      java.util.Arrays.fill(full, 1f);
      StepResult flat = model.trainStep(batch.pixels(), 8, batch.labels(), 1e-9f, null,
          new LesionFeed(filled(8, 1), full, filled(8, 1)));
      assertEquals(0f, flat.lesionLoss(), 1e-6);
      // Half the grid: mean z outside − mean z inside of a z-scored map lies in [−2, 2]
      // (1/sqrt(a(1 − a)) for a = 1/2), and the mirrored mask gives the opposite value.
      float[] left = leftHalfMasks(8, grid);
      float[] right = new float[left.length];
      for (int k = 0; k < left.length; k++) {
        right[k] = 1 - left[k];
      }
      float a = model.trainStep(batch.pixels(), 8, batch.labels(), 1e-9f, null,
          new LesionFeed(filled(8, 1), left, filled(8, 1))).lesionLoss();
      float b = model.trainStep(batch.pixels(), 8, batch.labels(), 1e-9f, null,
          new LesionFeed(filled(8, 1), right, filled(8, 1))).lesionLoss();
      assertTrue(Math.abs(a) <= 2 && Math.abs(a) > 1e-3, "term " + a);
      assertEquals(-a, b, 1e-4);
      // Weight 2 on every image doubles it.
      float doubled = model.trainStep(batch.pixels(), 8, batch.labels(), 1e-9f, null,
          new LesionFeed(filled(8, 1), left, filled(8, 2))).lesionLoss();
      assertEquals(2 * a, doubled, 1e-4);

      // Guidance alone (no classification loss) moves the served Grad-CAM into the mask.
      SyntheticImages.Batch probe = SyntheticImages.blobs(16, SIZE, 999);
      float[] probeMasks = leftHalfMasks(16, grid);
      double before = mean(outsideShare(model, probe, probeMasks, grid));
      for (int s = 0; s < 30; s++) {
        SyntheticImages.Batch step = SyntheticImages.blobs(16, SIZE, 500 + s);
        // Only guidance: the images carry no classification loss.
        model.trainStep(step.pixels(), 16, step.labels(), 0.003f, null,
            new LesionFeed(new float[16], leftHalfMasks(16, grid), filled(16, 1)));
      }
      double after = mean(outsideShare(model, probe, probeMasks, grid));
      // Measured on the served Grad-CAM (with its ReLU), not on the term itself.
      assertTrue(after < before - 0.15, "Grad-CAM energy outside the mask: " + before + " before, " + after + " after");
    }
  }

  @Test
  void withoutLesionInputsTheLossIsTheClassificationLossAndFeedsAreChecked() {
    SyntheticImages.Batch batch = SyntheticImages.blobs(8, SIZE, 5);
    try (ModelSession plain = TestModels.create(TestModels.tinySpec(), TrainingSpec.defaults(OptimizerKind.ADAM));
        ModelSession guided = TestModels.create(TestModels.tinySpec(),
            TrainingSpec.defaults(OptimizerKind.ADAM).withLesionGuidance(true))) {
      assertNull(plain.lesionGrid());
      for (int step = 0; step < 3; step++) {
        StepResult a = plain.trainStep(batch.pixels(), 8, batch.labels(), 0.003f, null);
        StepResult b = guided.trainStep(batch.pixels(), 8, batch.labels(), 0.003f, null);
        assertEquals(a.loss(), b.loss(), 1e-5, "step " + step);
        assertEquals(0f, b.lesionLoss());
        assertTrue(Float.isNaN(a.lesionLoss()));
      }
      // Masks fed with lesion weight 0: nothing to guide.
      StepResult none = guided.trainStep(batch.pixels(), 8, batch.labels(), 0.003f, null,
          new LesionFeed(filled(8, 1), leftHalfMasks(8, guided.lesionGrid()), new float[8]));
      assertEquals(0f, none.lesionLoss());
      // Feeds are checked: masks on a graph without the term, and masks of the wrong size.
      LesionFeed wrongSize = new LesionFeed(filled(8, 1), new float[8], filled(8, 1));
      assertThrows(IllegalStateException.class, () -> plain.trainStep(batch.pixels(), 8, batch.labels(), 0.001f, null, wrongSize));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> guided.trainStep(batch.pixels(), 8, batch.labels(), 0.001f, null, wrongSize));
      assertTrue(e.getMessage().contains("mask cells"), e.getMessage());
    }
  }

  private static double mean(double[] v) {
    return java.util.Arrays.stream(v).average().orElseThrow();
  }
}
