package org.ctnet.dicom;

import java.util.Set;

/** The transfer syntaxes the reader tells apart, by UID, and their names for error messages. */
final class TransferSyntax {
  static final String IMPLICIT_LE = "1.2.840.10008.1.2";
  static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
  static final String EXPLICIT_BE = "1.2.840.10008.1.2.2";
  static final String RLE = "1.2.840.10008.1.2.5";
  /** The JPEG processes the reader decodes (baseline, extended, lossless). */
  static final Set<String> JPEG = Set.of("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
      "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70");

  private TransferSyntax() {}

  static String syntaxName(String uid) {
    return switch (uid) {
      case "1.2.840.10008.1.2.4.50" -> "JPEG baseline";
      case "1.2.840.10008.1.2.4.51" -> "JPEG extended 12-bit";
      case "1.2.840.10008.1.2.4.57" -> "JPEG lossless";
      case "1.2.840.10008.1.2.4.70" -> "JPEG lossless SV1";
      case "1.2.840.10008.1.2.4.80" -> "JPEG-LS lossless";
      case "1.2.840.10008.1.2.4.81" -> "JPEG-LS near-lossless";
      case "1.2.840.10008.1.2.4.90" -> "JPEG 2000 lossless";
      case "1.2.840.10008.1.2.4.91" -> "JPEG 2000";
      case "1.2.840.10008.1.2.1.99" -> "deflated explicit VR little endian";
      default -> "unknown";
    };
  }
}
