package org.ctnet.dicom.objects;

import org.ctnet.dicom.Tag;
import org.ctnet.dicom.write.DicomDataset;

/**
 * A Secondary Capture image (PS3.3 A.8.1): an 8-bit RGB picture made by this workstation (a slice
 * with its heatmap and caption burnt in, or the scan's summary strip).
 */
public final class SecondaryCapture {
  public static final String SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7";

  private SecondaryCapture() {}

  /**
   * @param header the result header's dataset for this instance
   * @param width pixels per row
   * @param height rows
   * @param rgb width × height packed 0xRRGGBB pixels, row-major
   * @param derivation what the picture shows (Derivation Description)
   */
  public static DicomDataset dataset(DicomDataset header, int width, int height, int[] rgb, String derivation) {
    if (rgb.length != width * height) {
      throw new IllegalArgumentException("image " + width + "x" + height + " needs " + width * height + " pixels");
    }
    byte[] pixels = new byte[rgb.length * 3];
    for (int i = 0; i < rgb.length; i++) {
      pixels[3 * i] = (byte) (rgb[i] >>> 16);
      pixels[3 * i + 1] = (byte) (rgb[i] >>> 8);
      pixels[3 * i + 2] = (byte) rgb[i];
    }
    return header
        .texts(Tag.IMAGE_TYPE, "CS", "DERIVED", "SECONDARY")
        .text(Tag.CONVERSION_TYPE, "CS", "WSD")
        .text(Tag.DERIVATION_DESCRIPTION, "ST", derivation)
        .empty(Tag.PATIENT_ORIENTATION, "CS")
        .empty(Tag.LATERALITY, "CS") // General Series 2C: a chest CT has none to give
        .text(Tag.BURNED_IN_ANNOTATION, "CS", "YES")
        .text(Tag.LOSSY_IMAGE_COMPRESSION, "CS", "00")
        .us(Tag.SAMPLES_PER_PIXEL, 3)
        .text(Tag.PHOTOMETRIC_INTERPRETATION, "CS", "RGB")
        .us(Tag.PLANAR_CONFIGURATION, 0)
        .us(Tag.ROWS, height)
        .us(Tag.COLUMNS, width)
        .us(Tag.BITS_ALLOCATED, 8)
        .us(Tag.BITS_STORED, 8)
        .us(Tag.HIGH_BIT, 7)
        .us(Tag.PIXEL_REPRESENTATION, 0)
        .bytes(Tag.PIXEL_DATA, "OB", pixels);
  }
}
