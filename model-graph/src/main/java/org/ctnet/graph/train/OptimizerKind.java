package org.ctnet.graph.train;

/** The optimizers the paper compares. Each is built per variable (no O(vars²) control edges). */
public enum OptimizerKind {
  ADAM,
  SGD_MOMENTUM,
  RMSPROP;

  public static OptimizerKind parse(String text) {
    String t = text.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    switch (t) {
      case "ADAM":
        return ADAM;
      case "SGD":
      case "MOMENTUM":
      case "SGD_MOMENTUM":
        return SGD_MOMENTUM;
      case "RMSPROP":
        return RMSPROP;
      default:
        throw new IllegalArgumentException(
            "optimizer must be one of adam, sgd, rmsprop, got '" + text + "'");
    }
  }
}
