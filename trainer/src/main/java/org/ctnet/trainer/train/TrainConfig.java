package org.ctnet.trainer.train;

import java.util.List;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
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
 * @param labelSmoothing ε of label smoothing (0 = off)
 * @param batchNorm batch norm of the trained scopes: TRAIN (batch statistics) or FROZEN (moving
 *     statistics, unchanged)
 * @param l2sp L2-SP coefficient pulling kernels toward their starting values (0 = off)
 * @param balanceSources repeat the images of smaller sources so that each contributes at least
 *     half as many images per epoch as the largest (multi-source training)
 * @param referenceMix share of each epoch's images drawn from a reference (rehearsal) set, in
 *     [0, 1) (0 = off; needs a rehearsal set)
 * @param lesion lesion guidance from masked slices ({@link LesionGuidance#OFF} when null)
 * @param studies how studies with one label each train (multiple-instance learning); null when the
 *     run has no study labels
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
    long seed,
    double labelSmoothing,
    TrainingSpec.BatchNormMode batchNorm,
    double l2sp,
    double referenceMix,
    boolean balanceSources,
    LesionGuidance lesion,
    StudyLearning studies) {

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
    batchNorm = batchNorm == null ? TrainingSpec.BatchNormMode.TRAIN : batchNorm;
    lesion = lesion == null ? LesionGuidance.OFF : lesion;
    if (!(referenceMix >= 0 && referenceMix < 1)) {
      throw new IllegalArgumentException("reference mix must be in [0, 1), got " + referenceMix);
    }
    // Validates smoothing and L2-SP (fields are not assigned yet inside a compact constructor).
    TrainingSpec.defaults(optimizer).withLabelSmoothing(labelSmoothing).withL2sp(l2sp);
  }

  /** The paper-style configuration without the fine-tuning and calibration extras. */
  public TrainConfig(int epochs, int batchSize, double learningRate, String schedule, double warmupEpochs,
      OptimizerKind optimizer, int patience, boolean balanceClasses, Augmentation augmentation,
      List<String> frozenScopes, long seed) {
    this(epochs, batchSize, learningRate, schedule, warmupEpochs, optimizer, patience, balanceClasses, augmentation,
        frozenScopes, seed, 0, TrainingSpec.BatchNormMode.TRAIN, 0, 0, false, LesionGuidance.OFF, null);
  }

  /** A configuration without study labels. */
  public TrainConfig(int epochs, int batchSize, double learningRate, String schedule, double warmupEpochs,
      OptimizerKind optimizer, int patience, boolean balanceClasses, Augmentation augmentation,
      List<String> frozenScopes, long seed, double labelSmoothing, TrainingSpec.BatchNormMode batchNorm, double l2sp,
      double referenceMix, boolean balanceSources, LesionGuidance lesion) {
    this(epochs, batchSize, learningRate, schedule, warmupEpochs, optimizer, patience, balanceClasses, augmentation,
        frozenScopes, seed, labelSmoothing, batchNorm, l2sp, referenceMix, balanceSources, lesion, null);
  }

  /** How the graph's training step is built for this run. */
  public TrainingSpec trainingSpec() {
    return TrainingSpec.defaults(optimizer).withFrozenScopes(frozenScopes).withBatchNorm(batchNorm)
        .withLabelSmoothing(labelSmoothing).withL2sp(l2sp).withLesionGuidance(lesion.on());
  }

  /** This configuration with lesion guidance. */
  public TrainConfig withLesion(LesionGuidance guidance) {
    return new TrainConfig(epochs, batchSize, learningRate, schedule, warmupEpochs, optimizer, patience, balanceClasses,
        augmentation, frozenScopes, seed, labelSmoothing, batchNorm, l2sp, referenceMix, balanceSources, guidance, studies);
  }

  /** This configuration training studies as bags the way {@code learning} says. */
  public TrainConfig withStudies(StudyLearning learning) {
    return new TrainConfig(epochs, batchSize, learningRate, schedule, warmupEpochs, optimizer, patience, balanceClasses,
        augmentation, frozenScopes, seed, labelSmoothing, batchNorm, l2sp, referenceMix, balanceSources, lesion, learning);
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
