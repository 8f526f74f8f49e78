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
  /** Sequences nested deeper than this are refused rather than followed (a stack-depth attack). */
  static final int MAX_SEQUENCE_DEPTH = 16;
  /** The default pixel limit (all frames together) when the caller gives none. */
  public static final long DEFAULT_MAX_PIXELS = 8192L * 8192L;

  private DicomReader() {}

  /** A readable-looking DICOM: "DICM" after a 128-byte preamble, or a bare dataset start. */
  public static boolean looksLikeDicom(byte[] data) {
    if (data.length >= 132 && data[128] == 'D' && data[129] == 'I' && data[130] == 'C' && data[131] == 'M') {
      return true;
    }
    // Bare dataset: first element of group 0x0008 (or 0x0002), little endian.
    return data.length >= 8 && (data[0] == 0x08 || data[0] == 0x02) && data[1] == 0 && data[3] < 0x10;
  }

  public static DicomImage read(byte[] data) throws DicomFormatException {
    return read(data, DEFAULT_MAX_PIXELS);
  }

  /** Image geometry from the header alone: what decoding the file would allocate, before it does. */
  public record Geometry(int rows, int columns, int frames) {
    public long pixels() {
      return (long) rows * columns * frames;
    }
  }

  /**
   * What the dataset says before its pixel data: geometry, modality, whether it holds pixels at all,
   * and the attributes that place it in a series.
   */
  public record Header(Geometry geometry, String modality, boolean hasPixels, DicomAttributes attributes,
      StudyContext context) {}

  /** Reads the dataset up to the pixel data, without decoding a pixel. */
  public static Geometry geometry(byte[] data) throws DicomFormatException {
    return header(data).geometry();
  }

  /** Reads the dataset up to the pixel data, without decoding a pixel. */
  public static Header header(byte[] data) throws DicomFormatException {
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
