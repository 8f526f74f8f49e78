package org.ctnet.server.inference;

import org.ctnet.server.problem.ServingException;

/**
 * The one check of a requested class index, whatever the protocol: -1 asks for the class served as
 * the label (the decision rule's, not the arg-max), else a class of the model.
 */
public final class ClassIndex {
  /** The class served as the label: resolved per image by the decision rule. */
  public static final int SERVED_LABEL = -1;

  private ClassIndex() {}

  /**
   * {@code given}: null when the request names none, a {@link Long} when it names an integer, anything
   * else (the value as the request spelled it) is refused.
   */
  public static int of(Object given, int numClasses, String field) {
    if (given == null) {
      return SERVED_LABEL;
    }
    if (!(given instanceof Long value) || value < SERVED_LABEL || value >= numClasses) {
      throw ServingException.badRequest(field + " must be an integer: -1 (the class served as the label) or a class "
          + "index 0.." + (numClasses - 1) + ", got " + given);
    }
    return (int) (long) value;
  }

  /** The same class for each of {@code count} images. */
  public static int[] forEach(int count, int classIndex) {
    int[] out = new int[count];
    java.util.Arrays.fill(out, classIndex);
    return out;
  }
}
