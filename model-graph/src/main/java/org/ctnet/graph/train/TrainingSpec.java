package org.ctnet.graph.train;

import java.util.List;

/**
 * How the training step is built. The learning rate is not here: it is fed at every step, so a
 * schedule needs no rebuild.
 *
 * @param optimizer the update rule
 * @param beta1 Adam first-moment decay
 * @param beta2 Adam second-moment decay
 * @param epsilon Adam/RMSProp ridge term
 * @param momentum SGD/RMSProp momentum
 * @param rho RMSProp decay
 * @param frozenScopes variable path prefixes (e.g. {@code stem}, {@code stage1}) that get no
 *     gradient and no moving-statistic updates, and whose batch norm runs in inference mode
 *     (moving statistics) on the training path too: they stay bit-identical and compute exactly
 *     what they computed before
 * @param batchNorm how the batch norms of the trained scopes behave during training
 * @param labelSmoothing ε of label smoothing: targets are (1 − ε)·one-hot + ε/K (0 = off); keeps
 *     the logits from growing without bound, so probabilities stay usable as probabilities
 * @param l2sp coefficient of the L2-SP penalty α/2·‖W − W₀‖² pulling every trained kernel toward
 *     its value when the anchor was set ({@code ModelSession.anchorWeights}); replaces weight
 *     decay toward zero on those kernels (0 = off)
 * @param lesionGuidance build the lesion term: on images fed with a lesion mask and weight, the
 *     positive class's Grad-CAM at the explained layer is pulled inside the mask (see
 *     {@code ModelGraph}); images without a weight are untouched, so the term costs only time
 */
public record TrainingSpec(
    OptimizerKind optimizer,
    double beta1,
    double beta2,
    double epsilon,
    double momentum,
    double rho,
    List<String> frozenScopes,
    BatchNormMode batchNorm,
    double labelSmoothing,
    double l2sp,
    boolean lesionGuidance) {

  /** Batch norm of the trained scopes during training. */
  public enum BatchNormMode {
    /** Normalise with batch statistics and update the moving averages (training from scratch). */
    TRAIN,
    /**
     * Normalise with the stored moving statistics and never change them; gammas and betas still
     * learn. For fine-tuning on a few hundred images, where batch statistics are noisy.
     */
    FROZEN
  }

  public TrainingSpec {
    if (optimizer == null) {
      throw new IllegalArgumentException("optimizer is required, got null");
    }
    frozenScopes = frozenScopes == null ? List.of() : List.copyOf(frozenScopes);
    batchNorm = batchNorm == null ? BatchNormMode.TRAIN : batchNorm;
    check("beta1", beta1);
    check("beta2", beta2);
    check("momentum", momentum);
    check("rho", rho);
    if (!(epsilon > 0)) {
      throw new IllegalArgumentException("epsilon must be > 0, got " + epsilon);
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
      throw new IllegalArgumentException("label smoothing must be in [0, 0.5), got " + labelSmoothing);
    }
    if (!(l2sp >= 0 && l2sp < 1)) {
      throw new IllegalArgumentException("L2-SP coefficient must be in [0, 1), got " + l2sp);
    }
  }

  private static void check(String field, double v) {
    if (!(v >= 0 && v < 1)) {
      throw new IllegalArgumentException(field + " must be in [0, 1), got " + v);
    }
  }

  public static TrainingSpec defaults(OptimizerKind kind) {
    return new TrainingSpec(kind, 0.9, 0.999, 1e-7, 0.9, 0.9, List.of(), BatchNormMode.TRAIN, 0, 0, false);
  }

  public TrainingSpec withFrozenScopes(List<String> scopes) {
    return new TrainingSpec(optimizer, beta1, beta2, epsilon, momentum, rho, scopes, batchNorm, labelSmoothing, l2sp, lesionGuidance);
  }

  public TrainingSpec withBatchNorm(BatchNormMode mode) {
    return new TrainingSpec(optimizer, beta1, beta2, epsilon, momentum, rho, frozenScopes, mode, labelSmoothing, l2sp, lesionGuidance);
  }

  public TrainingSpec withLabelSmoothing(double epsilonLabels) {
    return new TrainingSpec(optimizer, beta1, beta2, epsilon, momentum, rho, frozenScopes, batchNorm, epsilonLabels, l2sp, lesionGuidance);
  }

  public TrainingSpec withL2sp(double alpha) {
    return new TrainingSpec(optimizer, beta1, beta2, epsilon, momentum, rho, frozenScopes, batchNorm, labelSmoothing, alpha, lesionGuidance);
  }

  public TrainingSpec withLesionGuidance(boolean on) {
    return new TrainingSpec(optimizer, beta1, beta2, epsilon, momentum, rho, frozenScopes, batchNorm, labelSmoothing, l2sp, on);
  }

  /** True when a variable at {@code path} belongs to a frozen scope. */
  public boolean isFrozen(String path) {
    for (String scope : frozenScopes) {
      if (path.equals(scope) || path.startsWith(scope + "/")) {
        return true;
      }
    }
    return false;
  }

  /** True when the batch norm at {@code path} normalises with its moving statistics while training. */
  public boolean usesMovingStatistics(String path) {
    return batchNorm == BatchNormMode.FROZEN || isFrozen(path);
  }
}
