package org.ctnet.graph.runtime;

import org.ctnet.graph.assets.ModelAssets;

/**
 * Explaining the class the model's locked decision gives, not the arg-max: a request's class index −1
 * means "the class served as the label" ({@link ModelAssets#decisionClass}). The explain signature itself
 * takes −1 as the arg-max; with a threshold under 0.5 the two differ for probabilities between the
 * threshold and 0.5, where a "covid" label came with a "non-covid" map. Callers run the signature once and,
 * only when some image's explained class differs from its decision, once more with those classes named.
 */
public final class DecisionExplanation {
  private DecisionExplanation() {}

  /**
   * The classes a second explain run needs so that every image asked with −1 explains its decision class,
   * or null when the first run already did.
   *
   * @param requested the classes asked for (−1 = the decision's)
   * @param first the explain signature's run with {@code requested}
   */
  public static int[] secondRun(ModelAssets assets, int[] requested, Explanation first) {
    int positive = assets.positiveClass();
    int[] classes = requested.clone();
    boolean differs = false;
    for (int i = 0; i < classes.length; i++) {
      if (classes[i] < 0) {
        classes[i] = assets.decisionClass(first.prediction().probabilities()[i][positive]);
        differs |= classes[i] != first.targetClass()[i];
      }
    }
    return differs ? classes : null;
  }

  /** Explains {@code n} images in process, each asked with −1 at its decision class. */
  public static Explanation explain(Predictor model, float[] images, int n, int[] requested) {
    Explanation first = model.explain(images, n, requested);
    int[] again = secondRun(model.assets(), requested, first);
    return again == null ? first : model.explain(images, n, again);
  }
}
