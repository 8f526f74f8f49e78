package org.ctnet.trainer.train;

import org.ctnet.graph.runtime.Predictor;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.eval.Metrics;

/** Scores on a held-out set: positive-class probabilities (inference mode), loss, arg-max accuracy, AUC, logit margins. */
public record HeldOutScores(double[] positiveScores, int[] labels, double loss, double accuracy, double auc,
    double[] margins) {
  public static HeldOutScores of(Predictor model, ImageStore data, int batchSize) {
    int n = data.size();
    int positive = model.spec().numClasses() - 1;
    double[] scores = new double[n];
    double[] margins = new double[n];
    int[] labels = data.labels();
    double loss = 0;
    int correct = 0;
    for (int start = 0; start < n; start += batchSize) {
      int m = Math.min(batchSize, n - start);
      int[] indices = java.util.stream.IntStream.range(start, start + m).toArray();
      var p = model.predict(data.batch(indices), m);
      for (int i = 0; i < m; i++) {
        float[] probs = p.probabilities()[i];
        scores[start + i] = probs[positive];
        float[] logits = p.logits()[i];
        double other = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < logits.length; c++) {
          if (c != positive) {
            other = Math.max(other, logits[c]);
          }
        }
        margins[start + i] = logits[positive] - other;
        loss -= Math.log(Math.max(probs[labels[start + i]], 1e-12));
        if (Trainer.argmax(probs) == labels[start + i]) {
          correct++;
        }
      }
    }
    int[] binary = java.util.Arrays.stream(labels).map(l -> l == positive ? 1 : 0).toArray();
    double auc = n == 0 ? Double.NaN : Metrics.rocAuc(scores, binary);
    return new HeldOutScores(scores, binary, n == 0 ? Double.NaN : loss / n, n == 0 ? Double.NaN : (double) correct / n,
        Double.isNaN(auc) ? 0 : auc, margins);
  }
}
