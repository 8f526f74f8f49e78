package org.ctnet.trainer.train;

import org.ctnet.graph.runtime.BagFeed;
import org.ctnet.graph.runtime.StepResult;
import java.util.List;

/** Running figures of an epoch for the progress line and the epoch record. */
final class EpochTally {
  double lossSum;
  int units;
  int correct;
  int judged;
  double lesionSum;
  int lesionSteps;
  double bagSum;
  int bagSteps;
  double lr;

  void add(StepResult step, boolean lesionCounted, int[] labels, boolean[] classified, List<int[]> bagRows,
      BagFeed bags, EpochPlan plan, StudyLearning studies) {
    int unitsHere = 0;
    for (int i = 0; i < labels.length; i++) {
      if (classified[i]) {
        unitsHere++;
        judged++;
        correct += Trainer.argmax(step.logits()[i]) == labels[i] ? 1 : 0;
      }
    }
    for (int b = 0; b < bagRows.size(); b++) {
      StudyLearning.Selection selection = plan.selections()[bagRows.get(b)[1]];
      double[] logits = new double[selection.size()];
      for (int k = 0; k < selection.size(); k++) {
        float[] l = step.logits()[bagRows.get(b)[0] + k];
        logits[k] = l[1] - l[0];
      }
      unitsHere++;
      judged++;
      correct += (studies.pooledLogit(logits, selection.weights()) >= 0 ? 1 : 0) == bags.labels()[b] ? 1 : 0;
    }
    lossSum += step.loss() * unitsHere;
    units += unitsHere;
    if (lesionCounted) {
      lesionSum += step.lesionLoss();
      lesionSteps++;
    }
    if (!Float.isNaN(step.bagLoss())) {
      bagSum += step.bagLoss();
      bagSteps++;
    }
  }

  String status(double currentLr, double imagesPerSecond) {
    lr = currentLr;
    return String.format("loss %.4f acc %.3f%s%s lr %.2e %.1f img/s", loss(), accuracy(),
        lesionSteps == 0 ? "" : String.format(" lesion %.3f", lesionSum / lesionSteps),
        bagSteps == 0 ? "" : String.format(" study %.3f", bagSum / bagSteps), currentLr, imagesPerSecond);
  }

  double loss() {
    return lossSum / Math.max(1, units);
  }

  double accuracy() {
    return (double) correct / Math.max(1, judged);
  }

  Double lesionLoss() {
    return lesionSteps == 0 ? null : lesionSum / lesionSteps;
  }

  Double bagLoss() {
    return bagSteps == 0 ? null : bagSum / bagSteps;
  }
}
