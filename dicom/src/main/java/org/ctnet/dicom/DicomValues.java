package org.ctnet.dicom;

/** Text values of DICOM elements read leniently: geometry and numbering are optional, so bad values become null. */
final class DicomValues {
  private DicomValues() {}

  static Integer integerOrNull(String value) {
    try {
      return value.isEmpty() ? null : Integer.valueOf(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** A multi-valued decimal string of exactly {@code count} numbers, or null (geometry is optional). */
  static double[] numbers(String value, int count) {
    String[] parts = value.split("\\\\");
    if (parts.length != count) {
      return null;
    }
    double[] out = new double[count];
    try {
      for (int i = 0; i < count; i++) {
        out[i] = Double.parseDouble(parts[i].strip());
      }
    } catch (NumberFormatException e) {
      return null;
    }
    return out;
  }

  static String firstValue(String multi) {
    int backslash = multi.indexOf('\\');
    return (backslash >= 0 ? multi.substring(0, backslash) : multi).strip();
  }
}
