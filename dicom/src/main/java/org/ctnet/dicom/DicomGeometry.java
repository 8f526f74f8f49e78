package org.ctnet.dicom;

/** Image geometry from the header alone: what decoding the file would allocate, before it does. */
public record DicomGeometry(int rows, int columns, int frames) {
  public long pixels() {
    return (long) rows * columns * frames;
  }
}
