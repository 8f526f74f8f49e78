package org.ctnet.trainer.cli;

import org.ctnet.trainer.train.StudyLearning;
import picocli.CommandLine.Option;

/** How studies with one label each train the model (shared by the commands that take study labels). */
public final class StudyLearningOptions {
  @Option(names = "--study-pooling", paramLabel = "RULE", defaultValue = StudyLearning.DEFAULT_POOLING,
      description = "How a study's slices become the study's logit: lse (log-sum-exp over its top half by the current "
          + "model and a random half of the rest; the measured best) or top-k-mean (mean logit of its top 20%% slices, "
          + "the served scan rule). Default ${DEFAULT-VALUE}.")
  String pooling;

  @Option(names = "--slices-per-study", paramLabel = "N", defaultValue = StudyLearning.DEFAULT_SLICES,
      description = "Most slices of one study in a training step (default ${DEFAULT-VALUE}).")
  int maxSlices;

  @Option(names = "--pooling-sharpness", paramLabel = "R", defaultValue = StudyLearning.DEFAULT_SHARPNESS,
      description = "Sharpness of lse pooling: near 0 the mean, large the maximum (default ${DEFAULT-VALUE}).")
  double sharpness;

  StudyLearning learning() {
    return new StudyLearning(StudyLearning.Pooling.parse(pooling), maxSlices, sharpness);
  }
}
