package org.ctnet.trainer.train;

import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.assets.ScanRule;
import org.ctnet.trainer.data.StudyStore;

/**
 * A model's scores on studies: each slice's binary logit (calibrated, as served) and each study's
 * probability by the model's scan rule, the one the server serves. Slices of several studies share
 * batches (studies are often short).
 *
 * @param sliceLogits per study, its slices' binary logits
 * @param probabilities per study, the scan probability
 * @param labels per study, 1 when positive
 */
public record StudyScores(double[][] sliceLogits, double[] probabilities, int[] labels, List<String> names,
    ScanRule rule) {
  static final int BATCH = 32;

  public static StudyScores of(Predictor model, StudyStore studies) {
    int pixels = model.spec().inputShape().pixels();
    double[][] logits = new double[studies.size()][];
    List<int[]> pending = new ArrayList<>();
    for (int s = 0; s < studies.size(); s++) {
      logits[s] = new double[studies.sliceCount(s)];
      for (int j = 0; j < studies.sliceCount(s); j++) {
        pending.add(new int[] {s, j});
      }
    }
    int positive = model.assets().positiveClass();
    for (int start = 0; start < pending.size(); start += BATCH) {
      int n = Math.min(BATCH, pending.size() - start);
      float[] batch = new float[n * pixels];
      for (int i = 0; i < n; i++) {
        int[] at = pending.get(start + i);
        System.arraycopy(studies.slice(at[0], at[1]), 0, batch, i * pixels, pixels);
      }
      Prediction p = model.predict(batch, n);
      for (int i = 0; i < n; i++) {
        int[] at = pending.get(start + i);
        logits[at[0]][at[1]] = p.logits()[i][positive] - p.logits()[i][1 - positive];
      }
    }
    ScanRule rule = model.assets().effectiveScanDecision().rule();
    return score(logits, 1, studies.binaryLabels(), studies.studies().stream().map(StudyStore.Study::name).toList(), rule);
  }

  /** The study probabilities of these slice logits divided by a temperature. */
  static StudyScores score(double[][] sliceLogits, double temperature, int[] labels, List<String> names, ScanRule rule) {
    double[] probabilities = new double[sliceLogits.length];
    for (int s = 0; s < sliceLogits.length; s++) {
      double[] p = new double[sliceLogits[s].length];
      for (int j = 0; j < p.length; j++) {
        p[j] = 1 / (1 + Math.exp(-sliceLogits[s][j] / temperature));
      }
      probabilities[s] = rule.aggregate(p);
    }
    return new StudyScores(sliceLogits, probabilities, labels, names, rule);
  }

  /** These scores with the slice logits divided by {@code temperature} (what a calibrated model would give). */
  public StudyScores atTemperature(double temperature) {
    return score(sliceLogits, temperature, labels, names, rule);
  }

  /** Mean negative log-likelihood of the study labels. */
  public double nll() {
    double sum = 0;
    for (int s = 0; s < probabilities.length; s++) {
      double p = Math.min(Math.max(probabilities[s], 1e-12), 1 - 1e-12);
      sum -= labels[s] == 1 ? Math.log(p) : Math.log(1 - p);
    }
    return sum / Math.max(1, probabilities.length);
  }

  public int size() {
    return probabilities.length;
  }
}
