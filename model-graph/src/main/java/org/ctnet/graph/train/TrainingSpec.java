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
 *     gradient and no moving-statistic updates: they stay bit-identical
 */
public record TrainingSpec(
    OptimizerKind optimizer,
    double beta1,
    double beta2,
    double epsilon,
    double momentum,
    double rho,
    List<String> frozenScopes) {

  public TrainingSpec {
    if (optimizer == null) {
      throw new IllegalArgumentException("optimizer is required, got null");
    }
    frozenScopes = frozenScopes == null ? List.of() : List.copyOf(frozenScopes);
    check("beta1", beta1);
    check("beta2", beta2);
    check("momentum", momentum);
    check("rho", rho);
    if (!(epsilon > 0)) {
      throw new IllegalArgumentException("epsilon must be > 0, got " + epsilon);
    }
  }

  private static void check(String field, double v) {
    if (!(v >= 0 && v < 1)) {
      throw new IllegalArgumentException(field + " must be in [0, 1), got " + v);
    }
  }

  public static TrainingSpec defaults(OptimizerKind kind) {
    return new TrainingSpec(kind, 0.9, 0.999, 1e-7, 0.9, 0.9, List.of());
  }

  public TrainingSpec withFrozenScopes(List<String> scopes) {
    return new TrainingSpec(optimizer, beta1, beta2, epsilon, momentum, rho, scopes);
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
}
