package org.ctnet.graph.preprocess;

import java.util.Locale;

/** What part of a decoded image becomes the model input, and how its grey levels are normalised. */
public enum Framing {
  /** The whole image, grey levels as decoded (models before framing existed; {@code ctnet/1}, {@code ctnet/2}). */
  WHOLE,
  /**
   * The body's bounding box ({@link BodyFrame}), grey levels stretched between the box's 1st and 99th
   * percentiles: borders, captions and rulers outside the body leave the input, and windows and
   * contrast of different sources are brought to one range.
   */
  BODY;

  /** {@code whole} or {@code body}, case-insensitive; anything else is an IllegalArgumentException naming both. */
  public static Framing parse(String text) {
    for (Framing f : values()) {
      if (f.name().equalsIgnoreCase(text.strip())) {
        return f;
      }
    }
    throw new IllegalArgumentException("framing must be whole or body, got '" + text + "'");
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
