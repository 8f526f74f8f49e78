package org.ctnet.graph;

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
  /** A tiny model trained 100 steps on blobs, exported as version 1 (rebuilt with guidance by the tests). */
  static Path version;

  @org.junit.jupiter.api.BeforeAll
  static void exportBase() throws Exception {
    try (ModelSession base = TestModels.trainedOnBlobs(100, 4)) {
      version = base.export(shared, 1, base.assets());
    }
  }

  @Test
  void lesionLossIsTheGradCamEnergyOutsideTheMask() throws Exception {
    // Frozen batch norm and no dropout: the training path computes what explain computes.
    try (ModelSession model = ModelSession.rebuild(version, FROZEN_GUIDED, SessionOptions.DEFAULT)) {
      int[] grid = model.lesionGrid();
      assertNotNull(grid);
      SyntheticImages.Batch batch = SyntheticImages.blobs(8, SIZE, 77);
      float[] masks = leftHalfMasks(batch.count(), grid);
      double[] share = outsideShare(model, batch, masks, grid);
      // Weights 1 on four images, 0.5 on two, none on two: the mean over the six weighted ones.
      float[] weights = {1, 1, 1, 1, 0.5f, 0.5f, 0, 0};
      double expected = 0;
      for (int i = 0; i < 8; i++) {
        expected += weights[i] * share[i];
      }
      expected /= 6;
      ModelSession.StepResult step = model.trainStep(batch.pixels(), batch.count(), batch.labels(), 1e-6f, null,
          new ModelSession.LesionFeed(filled(8, 1), masks, weights));
      assertEquals(expected, step.lesionLoss(), 1e-4, "lesion term against the explain signature's Grad-CAM");
      assertTrue(expected > 0.05, "the check needs energy outside the mask, got " + expected);
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
        ModelSession.StepResult a = plain.trainStep(batch.pixels(), 8, batch.labels(), 0.003f, null);
        ModelSession.StepResult b = guided.trainStep(batch.pixels(), 8, batch.labels(), 0.003f, null);
        assertEquals(a.loss(), b.loss(), 1e-5, "step " + step);
        assertEquals(0f, b.lesionLoss());
        assertTrue(Float.isNaN(a.lesionLoss()));
      }
      // Masks fed with lesion weight 0: nothing to guide.
      ModelSession.StepResult none = guided.trainStep(batch.pixels(), 8, batch.labels(), 0.003f, null,
          new ModelSession.LesionFeed(filled(8, 1), leftHalfMasks(8, guided.lesionGrid()), new float[8]));
      assertEquals(0f, none.lesionLoss());
      // Feeds are checked: masks on a graph without the term, and masks of the wrong size.
      ModelSession.LesionFeed wrongSize = new ModelSession.LesionFeed(filled(8, 1), new float[8], filled(8, 1));
      assertThrows(IllegalStateException.class, () -> plain.trainStep(batch.pixels(), 8, batch.labels(), 0.001f, null, wrongSize));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> guided.trainStep(batch.pixels(), 8, batch.labels(), 0.001f, null, wrongSize));
      assertTrue(e.getMessage().contains("mask cells"), e.getMessage());
    }
  }

  @Test
  void guidanceMovesTheMapIntoTheMask() throws Exception {
    try (ModelSession model = ModelSession.rebuild(version, FROZEN_GUIDED, SessionOptions.DEFAULT)) {
      int[] grid = model.lesionGrid();
      SyntheticImages.Batch probe = SyntheticImages.blobs(16, SIZE, 999);
      float[] probeMasks = leftHalfMasks(16, grid);
      double before = mean(outsideShare(model, probe, probeMasks, grid));
      for (int s = 0; s < 40; s++) {
        SyntheticImages.Batch b = SyntheticImages.blobs(16, SIZE, 500 + s);
        // Only guidance: the images carry no classification loss.
        model.trainStep(b.pixels(), 16, b.labels(), 0.003f, null,
            new ModelSession.LesionFeed(new float[16], leftHalfMasks(16, grid), filled(16, 1)));
      }
      double after = mean(outsideShare(model, probe, probeMasks, grid));
      assertTrue(after < before - 0.15, "Grad-CAM energy outside the mask: " + before + " before, " + after + " after");
    }
  }

  private static double mean(double[] v) {
    return java.util.Arrays.stream(v).average().orElseThrow();
  }
}
