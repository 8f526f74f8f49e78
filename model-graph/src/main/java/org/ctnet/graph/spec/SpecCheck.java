package org.ctnet.graph.spec;

/** Validation helpers whose messages name the field and the value received. */
final class SpecCheck {
  private SpecCheck() {}

  static void positive(String field, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be > 0, got " + value);
    }
  }

  static void nonNegative(String field, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(field + " must be >= 0, got " + value);
    }
  }

  static void inRange(String field, double value, double minInclusive, double maxExclusive) {
    if (!(value >= minInclusive && value < maxExclusive)) {
      throw new IllegalArgumentException(
          field + " must be in [" + minInclusive + ", " + maxExclusive + "), got " + value);
    }
  }

  static void notNull(String field, Object value) {
    if (value == null) {
      throw new IllegalArgumentException(field + " is required, got null");
    }
  }
}
