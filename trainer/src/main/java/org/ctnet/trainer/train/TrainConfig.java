package org.ctnet.trainer.train;

import java.util.List;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.trainer.data.Augmentation;

/**
 * Everything that decides the result of a training run (saved beside the model as training.json).
 *
 * @param epochs maximum epochs
 * @param batchSize images per step
 * @param learningRate peak learning rate
 * @param schedule constant, cosine (to 1% of the peak) or step (×0.1 at 50% and 75%)
 * @param warmupEpochs linear warm-up from 10% of the peak
 * @param optimizer update rule
 * @param patience epochs without a better validation AUC before stopping (0 = never stop early)
 * @param balanceClasses weight the loss by inverse class frequency
 * @param augmentation on-the-fly augmentation
 * @param frozenScopes variable scopes not trained (fine-tuning)
 * @param seed seed for shuffling and augmentation
 */
public record TrainConfig(
    int epochs,
    int batchSize,
    double learningRate,
    String schedule,
    double warmupEpochs,
    OptimizerKind optimizer,
    int patience,
    boolean balanceClasses,
    Augmentation augmentation,
    List<String> frozenScopes,
    long seed) {

  public TrainConfig {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
    }
    if (!List.of("constant", "cosine", "step").contains(schedule)) {
      throw new IllegalArgumentException("schedule must be constant, cosine or step, got '" + schedule + "'");
    }
    if (warmupEpochs < 0 || patience < 0) {
      throw new IllegalArgumentException("warm-up and patience must be >= 0");
    }
    frozenScopes = frozenScopes == null ? List.of() : List.copyOf(frozenScopes);
  }

  /** Learning rate at a fractional epoch position in [0, epochs). */
  public double learningRateAt(double epoch) {
    double lr = learningRate;
    double progress = epoch / epochs;
    switch (schedule) {
      case "cosine" -> lr = learningRate * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * progress)));
      case "step" -> lr = learningRate * (progress < 0.5 ? 1 : progress < 0.75 ? 0.1 : 0.01);
      default -> { }
    }
    if (warmupEpochs > 0 && epoch < warmupEpochs) {
      lr *= 0.1 + 0.9 * epoch / warmupEpochs;
    }
    return lr;
  }
}
