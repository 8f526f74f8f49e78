package org.ctnet.graph.preprocess;

import org.ctnet.dicom.DicomHeader;
import org.ctnet.dicom.DicomFormatException;
import org.ctnet.dicom.DicomImage;
import org.ctnet.dicom.DicomReader;
import org.ctnet.dicom.DicomTooLargeException;

/**
 * The graph's door to the {@code dicom} module: DICOM read into the image types and exceptions the
 * preprocessing speaks (a refusal stays a refusal: too large → {@link ImageTooLargeException}).
 */
public final class DicomDecoding {
  private DicomDecoding() {}

  public static DicomImage read(byte[] data, long maxPixels) throws ImageDecodeException {
    try {
      return DicomReader.read(data, maxPixels);
    } catch (DicomFormatException e) {
      throw translated(e);
    }
  }

  public static DicomHeader header(byte[] data) throws ImageDecodeException {
    try {
      return DicomReader.header(data);
    } catch (DicomFormatException e) {
      throw translated(e);
    }
  }

  /** A frame through a CT window (level/width in HU) as grey levels 0..255. */
  public static GreyImage windowed(DicomImage image, int frame, double level, double width) {
    return new GreyImage(image.columns(), image.rows(), image.windowed(frame, level, width));
  }

  private static ImageDecodeException translated(DicomFormatException e) {
    return e instanceof DicomTooLargeException
        ? new ImageTooLargeException(e.getMessage())
        : new ImageDecodeException(e.getMessage(), e.getCause());
  }
}
