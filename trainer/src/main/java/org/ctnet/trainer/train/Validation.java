package org.ctnet.trainer.train;

import org.ctnet.graph.runtime.Predictor;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.StudyStore;
import org.ctnet.trainer.eval.Metrics;

/**
 * What a run is judged on after every epoch (early stopping, the best epoch): labelled slices, or
 * studies with one label each, judged at the level the hospital decides on (the scan probability).
 */
public interface Validation {
  HeldOutScores evaluate(Predictor model);

  /** What is counted, e.g. "412 images" or "30 studies". */
  String describe();

  static Validation slices(ImageStore images) {
    return new Validation() {
      @Override
      public HeldOutScores evaluate(Predictor model) {
        return HeldOutScores.of(model, images, 32);
      }

      @Override
      public String describe() {
        return images.size() + " images";
      }
    };
  }

  /** Studies scored by the served scan rule; loss is the studies' negative log-likelihood, accuracy at 0.5. */
  static Validation studies(StudyStore studies) {
    return new Validation() {
      @Override
      public HeldOutScores evaluate(Predictor model) {
        StudyScores s = StudyScores.of(model, studies);
        double[] margins = new double[s.size()];
        int correct = 0;
        for (int i = 0; i < s.size(); i++) {
          double p = Math.min(Math.max(s.probabilities()[i], 1e-12), 1 - 1e-12);
          margins[i] = Math.log(p / (1 - p));
          correct += (p >= 0.5 ? 1 : 0) == s.labels()[i] ? 1 : 0;
        }
        double auc = s.size() == 0 ? Double.NaN : Metrics.rocAuc(s.probabilities(), s.labels());
        return new HeldOutScores(s.probabilities(), s.labels(), s.nll(), (double) correct / Math.max(1, s.size()),
            Double.isNaN(auc) ? 0 : auc, margins);
      }

      @Override
      public String describe() {
        return studies.size() + " studies";
      }
    };
  }
}
