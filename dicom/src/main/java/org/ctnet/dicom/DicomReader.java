package org.ctnet.dicom;


/**
 * A small, strict reader of CT images in DICOM Part 10 files (or bare datasets without a preamble):
 * implicit VR little endian, explicit VR little and big endian, RLE Lossless, and JPEG (lossless
 * process 14 with or without selection value 1, baseline, extended) through TwelveMonkeys. JPEG-LS,
 * JPEG 2000 and deflate are refused by name. It reads the top-level tags only (sequences are skipped
 * whole, so tags inside them never override the dataset's, and nesting is bounded), masks to
 * BitsStored, sign-extends, and keeps RescaleSlope/RescaleIntercept to give HU. Every length is
 * checked against the bytes present, and the pixel count against a limit, before pixels are allocated.
 */
public final class DicomReader {
    /** The default pixel limit (all frames together) when the caller gives none. */
  public static final long DEFAULT_MAX_PIXELS = 8192L * 8192L;

  private DicomReader() {}

  /** A readable-looking DICOM: "DICM" after a 128-byte preamble, or a bare dataset start. */
  public static boolean looksLikeDicom(byte[] data) {
    return DicomParser.looksLikeDicom(data);
  }

  public static DicomImage read(byte[] data) throws DicomFormatException {
    return read(data, DEFAULT_MAX_PIXELS);
  }


  /** Reads the dataset up to the pixel data, without decoding a pixel. */
  public static DicomGeometry geometry(byte[] data) throws DicomFormatException {
    return header(data).geometry();
  }

  /** Reads the dataset up to the pixel data, without decoding a pixel. */
  public static DicomHeader header(byte[] data) throws DicomFormatException {
    try {
      DicomParser parser = new DicomParser(data, Long.MAX_VALUE);
      parser.parseHeader();
      return parser.header();
    } catch (DicomFormatException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      throw new DicomFormatException("malformed DICOM: " + e, e);
    }
  }

  /** Reads an image whose frames hold at most {@code maxPixels} pixels together, else refuses it. */
  public static DicomImage read(byte[] data, long maxPixels) throws DicomFormatException {
    try {
      return new DicomParser(data, maxPixels).parse();
    } catch (DicomFormatException e) {
      throw e;
    } catch (RuntimeException | StackOverflowError e) {
      throw new DicomFormatException("malformed DICOM: " + e, e);
    }
  }
}
