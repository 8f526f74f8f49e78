package org.ctnet.graph;

import org.ctnet.graph.runtime.StepResult;
import static org.junit.jupiter.api.Assertions.*;

import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.BagFeed;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;

/** The bag term: studies with one label each, pooled from their slices' logits. */
class MultipleInstanceTest {
  private static final int SIZE = TestModels.tinySpec().inputHeight();

  /** An independent reference: weighted log-sum-exp of the members' binary logits, then binary cross-entropy. */
  private static double referenceBagLoss(float[][] logits, float[] pooling, int[] labels, float r) {
    int n = logits.length;
    double sum = 0;
    for (int b = 0; b < labels.length; b++) {
      double acc = 0;
      for (int i = 0; i < n; i++) {
        double z = logits[i][1] - logits[i][0];
        acc += pooling[b * n + i] * Math.exp(r * z);
      }
      double bagLogit = Math.log(acc) / r;
      double p = 1 / (1 + Math.exp(-bagLogit));
      sum += -(labels[b] == 1 ? Math.log(p) : Math.log(1 - p));
    }
    return sum / labels.length;
  }

  @Test
  void bagLossIsTheCrossEntropyOfTheLogSumExpOfItsMembers() {
    SyntheticImages.Batch batch = SyntheticImages.blobs(8, SIZE, 3);
    // Bag 0: images 0–3 evenly; bag 1: images 4 and 5 (6 and 7 belong to no bag).
    float[] pooling = new float[2 * 8];
    for (int i = 0; i < 4; i++) {
      pooling[i] = 0.25f;
    }
    pooling[8 + 4] = 0.5f;
    pooling[8 + 5] = 0.5f;
    int[] labels = {1, 0};
    float[] noSliceLoss = new float[8];
    for (float r : new float[] {0.05f, 1f, 8f}) {
      try (ModelSession model = TestModels.tiny()) {
        StepResult step = model.trainStep(batch.pixels(), 8, batch.labels(), 1e-9f, null, null,
            new BagFeed(pooling, labels, r), noSliceLoss);
        assertEquals(referenceBagLoss(step.logits(), pooling, labels, r), step.bagLoss(), 1e-4, "r = " + r);
      }
    }
  }

  @Test
  void withoutBagsTheTermIsZeroAndTheSliceLossIsUnchanged() {
    SyntheticImages.Batch batch = SyntheticImages.blobs(8, SIZE, 4);
    try (ModelSession plain = TestModels.tiny(); ModelSession bagged = TestModels.tiny()) {
      float a = plain.trainStep(batch.pixels(), 8, batch.labels(), 1e-9f, null).loss();
      StepResult b = bagged.trainStep(batch.pixels(), 8, batch.labels(), 1e-9f, null, null,
          new BagFeed(new float[0], new int[0], 1f), null);
      assertEquals(0f, b.bagLoss());
      assertEquals(a, b.loss(), 1e-6);
    }
  }

  @Test
  void badBagsAreRefusedBeforeTheSessionRuns() {
    SyntheticImages.Batch batch = SyntheticImages.blobs(4, SIZE, 5);
    try (ModelSession model = TestModels.tiny()) {
      float[] half = {0.5f, 0, 0, 0};
      var e = assertThrows(IllegalArgumentException.class, () -> model.trainStep(batch.pixels(), 4, batch.labels(), 1e-3f,
          null, null, new BagFeed(half, new int[] {1}, 1f), null));
      assertTrue(e.getMessage().contains("sum to 1"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> model.trainStep(batch.pixels(), 4, batch.labels(), 1e-3f, null,
          null, new BagFeed(new float[] {1, 0, 0}, new int[] {1}, 1f), null));
      assertThrows(IllegalArgumentException.class, () -> model.trainStep(batch.pixels(), 4, batch.labels(), 1e-3f, null,
          null, new BagFeed(new float[] {1, 0, 0, 0}, new int[] {2}, 1f), null));
      assertThrows(IllegalArgumentException.class, () -> model.trainStep(batch.pixels(), 4, batch.labels(), 1e-3f, null,
          null, new BagFeed(new float[] {1, 0, 0, 0}, new int[] {1}, 0f), null));
    }
  }

  /**
   * The point of multiple-instance learning: trained on bags only (a positive bag holds one blob
   * slice among three plain ones; a negative bag four plain ones) and never told which slice
   * carries the blob, the model learns to score the blob slices of new images above the plain
   * ones.
   */
  @Test
  void bagLabelsAloneTeachWhichSlicesCarryTheFinding() {
    try (ModelSession model = TestModels.tiny()) {
      int bagSize = 4;
      for (int step = 0; step < 120; step++) {
        // Four bags a step: two positive, two negative; each a mix built from synthetic images.
        SyntheticImages.Batch source = SyntheticImages.blobs(32, SIZE, 1000 + step);
        int bags = 4;
        int n = bags * bagSize;
        float[] pixels = new float[n * SIZE * SIZE];
        float[] pooling = new float[bags * n];
        int[] bagLabels = new int[bags];
        int[] sliceLabels = new int[n];
        int nextPositive = 1;
        int nextNegative = 0;
        for (int b = 0; b < bags; b++) {
          bagLabels[b] = b % 2;
          for (int j = 0; j < bagSize; j++) {
            int slot = b * bagSize + j;
            boolean blob = bagLabels[b] == 1 && j == step % bagSize;
            int image = blob ? nextPositive : nextNegative;
            if (blob) {
              nextPositive += 2;
            } else {
              nextNegative += 2;
            }
            System.arraycopy(source.image(image), 0, pixels, slot * SIZE * SIZE, SIZE * SIZE);
            pooling[b * n + slot] = 1f / bagSize;
            sliceLabels[slot] = bagLabels[b];
          }
        }
        float lr = step < 90 ? 0.003f : 0.0003f;
        model.trainStep(pixels, n, sliceLabels, lr, null, null, new BagFeed(pooling, bagLabels, 4f), new float[n]);
      }
      SyntheticImages.Batch test = SyntheticImages.blobs(40, SIZE, 77);
      var p = model.predict(test.pixels(), test.count());
      int concordant = 0;
      int pairs = 0;
      for (int i = 0; i < test.count(); i++) {
        for (int j = 0; j < test.count(); j++) {
          if (test.labels()[i] == 1 && test.labels()[j] == 0) {
            pairs++;
            concordant += p.probabilities()[i][1] > p.probabilities()[j][1] ? 1 : 0;
          }
        }
      }
      double auc = (double) concordant / pairs;
      assertTrue(auc > 0.9, "slice-level ROC-AUC of blob slices after bag-only training: " + auc);
    }
  }
}
