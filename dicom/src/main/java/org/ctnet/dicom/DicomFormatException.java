package org.ctnet.dicom;

import java.io.IOException;

/** Bytes that are not a readable DICOM dataset, or one this reader refuses (named in the message). */
public class DicomFormatException extends IOException {
  public DicomFormatException(String message) {
    super(message);
  }

  public DicomFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
