package org.ctnet.dicom;

/** A dataset whose header declares more pixels than the caller allows: refused before allocating. */
public final class DicomTooLargeException extends DicomFormatException {
  public DicomTooLargeException(String message) {
    super(message);
  }
}
