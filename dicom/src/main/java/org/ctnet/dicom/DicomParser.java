package org.ctnet.dicom;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * One pass over a DICOM file: the file meta and dataset walked element by element (explicit or
 * implicit VR, nested sequences to a bounded depth, undefined lengths), the image attributes kept, and
 * the pixel data (native, RLE or JPEG) assembled into a {@link DicomImage} within the pixel limit.
 */
final class DicomParser {
  /** Sequences nested deeper than this are refused rather than followed (a stack-depth attack). */
  static final int MAX_SEQUENCE_DEPTH = 16;

  private static final Set<String> LONG_LENGTH_VRS =
      Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV");
  private static final int UNDEFINED = -1;

  private final byte[] data;
  private final long maxPixels;
  private ByteBuffer buf;
  private boolean explicitVr;
  private String transferSyntax = TransferSyntax.IMPLICIT_LE;
  private int rows = -1;
  private int columns = -1;
  private int bitsAllocated = -1;
  private int bitsStored = -1;
  private int highBit = -1;
  private int pixelRepresentation = 0;
  private int samplesPerPixel = 1;
  private int frames = 1;
  private double slope = 1;
  private double intercept = 0;
  private String photometric = "MONOCHROME2";
  private String modality = "";
  private int pixelOffset = -1;
  private int pixelLength = 0;
  private String studyUid = "";
  private String seriesUid = "";
  private String sopClassUid = "";
  private String sopInstanceUid = "";
  private String seriesDescription = "";
  private List<String> imageType = List.of();
  private Integer instanceNumber;
  private double[] position;
  private double[] orientation;
  private final java.util.Map<Integer, StudyContext.Element> context = new java.util.LinkedHashMap<>();

  DicomParser(byte[] data, long maxPixels) {
    this.data = data;
    this.maxPixels = maxPixels;
  }

  /** What {@link #parseHeader} found, before any pixel is decoded. */
  DicomHeader header() {
    return new DicomHeader(new DicomGeometry(Math.max(0, rows), Math.max(0, columns), Math.max(1, frames)), modality,
        pixelOffset >= 0, attributes(), new StudyContext(context));
  }

  /** A readable-looking DICOM: "DICM" after a 128-byte preamble, or a bare dataset start. */
  static boolean looksLikeDicom(byte[] data) {
    if (data.length >= 132 && data[128] == 'D' && data[129] == 'I' && data[130] == 'C' && data[131] == 'M') {
      return true;
    }
    // Bare dataset: first element of group 0x0008 (or 0x0002), little endian.
    return data.length >= 8 && (data[0] == 0x08 || data[0] == 0x02) && data[1] == 0 && data[3] < 0x10;
  }

  DicomImage parse() throws DicomFormatException {
    parseHeader();
    return buildImage();
  }

  void parseHeader() throws DicomFormatException {
    int start;
    if (data.length >= 132 && new String(data, 128, 4, StandardCharsets.US_ASCII).equals("DICM")) {
      start = 132;
      buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      start = readMeta(start);
    } else if (looksLikeDicom(data)) {
      start = 0;
      buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      // No file meta: implicit VR little endian unless the first element carries a VR.
      transferSyntax = looksExplicit(0) ? TransferSyntax.EXPLICIT_LE : TransferSyntax.IMPLICIT_LE;
    } else {
      throw new DicomFormatException("not a DICOM file (no DICM marker and no dataset at the start)");
    }
    switch (transferSyntax) {
      case TransferSyntax.IMPLICIT_LE -> explicitVr = false;
      case TransferSyntax.EXPLICIT_LE, TransferSyntax.RLE -> explicitVr = true;
      case String s when TransferSyntax.JPEG.contains(s) -> explicitVr = true;
      case TransferSyntax.EXPLICIT_BE -> {
        explicitVr = true;
        buf.order(ByteOrder.BIG_ENDIAN);
      }
      default -> throw new DicomFormatException(
          "compressed transfer syntax " + transferSyntax + " (" + TransferSyntax.syntaxName(transferSyntax)
              + ") is not supported; convert to uncompressed, RLE or JPEG lossless (e.g. dcmdjpls, gdcmconv) first");
    }
    readDataset(start);
  }

  private boolean looksExplicit(int pos) {
    if (pos + 6 > data.length) {
      return false;
    }
    char a = (char) data[pos + 4];
    char b = (char) data[pos + 5];
    return Character.isUpperCase(a) && Character.isUpperCase(b);
  }

  private int readMeta(int pos) throws DicomFormatException {
    // File meta (group 0002) is always explicit VR little endian.
    while (pos + 8 <= data.length) {
      int group = u16(pos);
      if (group != 0x0002) {
        return pos;
      }
      int element = u16(pos + 2);
      String vr = new String(data, pos + 4, 2, StandardCharsets.US_ASCII);
      int headerLength;
      long length;
      if (LONG_LENGTH_VRS.contains(vr)) {
        need(pos, 12);
        length = u32(pos + 8);
        headerLength = 12;
      } else {
        length = u16(pos + 6);
        headerLength = 8;
      }
      int valueStart = pos + headerLength;
      need(valueStart, length);
      if (element == 0x0010) {
        transferSyntax = text(valueStart, (int) length);
      }
      pos = valueStart + (int) length;
    }
    throw new DicomFormatException("truncated DICOM: the file ends inside its file meta information");
  }

  private void readDataset(int pos) throws DicomFormatException {
    while (pos < data.length) {
      need(pos, 8);
      int group = u16(pos);
      int element = u16(pos + 2);
      Header header = header(pos, explicitVr && group != 0xFFFE);
      String vr = header.vr();
      long length = header.length();
      int valueStart = header.valueStart();
      if (group == 0x7FE0 && element == 0x0010) {
        pixelOffset = valueStart;
        pixelLength = (int) Math.min(length, Integer.MAX_VALUE);
        if (length == 0xFFFFFFFFL) {
          pixelLength = UNDEFINED;
        }
        return;
      }
      if (length == 0xFFFFFFFFL) {
        // Undefined length: a sequence (or encapsulated data) ending with a delimiter. Skip it
        // whole: tags inside sequence items must not override top-level ones.
        pos = skipUndefined(valueStart, 1);
        continue;
      }
      need(valueStart, length);
      if (!"SQ".equals(vr)) {
        readValue(group, element, valueStart, (int) length);
        keepContext(group << 16 | element, vr, valueStart, (int) length);
      }
      pos = valueStart + (int) length;
    }
    // No pixel data (a structured report, a presentation state): pixelOffset stays -1.
  }

  /** An element header: its VR (null when implicit), value length and where the value starts. */
  private record Header(String vr, long length, int valueStart) {}

  private Header header(int pos, boolean explicit) throws DicomFormatException {
    if (!explicit) {
      return new Header(null, u32(pos + 4), pos + 8);
    }
    String vr = new String(data, pos + 4, 2, StandardCharsets.US_ASCII);
    if (LONG_LENGTH_VRS.contains(vr)) {
      need(pos, 12);
      return new Header(vr, u32(pos + 8), pos + 12);
    }
    return new Header(vr, u16(pos + 6), pos + 8);
  }

  /** Skips items until the matching sequence delimiter; returns the position after it. */
  private int skipUndefined(int pos, int depth) throws DicomFormatException {
    if (depth > MAX_SEQUENCE_DEPTH) {
      throw new DicomFormatException("DICOM sequences are nested deeper than " + MAX_SEQUENCE_DEPTH + " levels");
    }
    while (true) {
      need(pos, 8);
      int group = u16(pos);
      int element = u16(pos + 2);
      long length = u32(pos + 4);
      if (group == 0xFFFE && element == 0xE0DD) {
        return pos + 8;
      }
      if (group != 0xFFFE || element != 0xE000) {
        throw new DicomFormatException(String.format(
            "malformed sequence at byte %d: expected an item, found (%04X,%04X)", pos, group, element));
      }
      if (length == 0xFFFFFFFFL) {
        pos = skipItemElements(pos + 8, depth);
      } else {
        need(pos + 8, length);
        pos = pos + 8 + (int) length;
      }
    }
  }

  /** Skips the elements of an undefined-length item up to its item delimiter. */
  private int skipItemElements(int pos, int depth) throws DicomFormatException {
    while (true) {
      need(pos, 8);
      int group = u16(pos);
      int element = u16(pos + 2);
      if (group == 0xFFFE && element == 0xE00D) {
        return pos + 8;
      }
      Header header = header(pos, explicitVr);
      long length = header.length();
      int valueStart = header.valueStart();
      if (length == 0xFFFFFFFFL) {
        pos = skipUndefined(valueStart, depth + 1);
      } else {
        need(valueStart, length);
        pos = valueStart + (int) length;
      }
    }
  }

  /** Keeps a Patient/Study element's bytes as written (text VRs: no byte order to undo). */
  private void keepContext(int tag, String vr, int at, int length) {
    String known = StudyContext.COPIED.get(tag);
    if (known != null) {
      context.put(tag, new StudyContext.Element(vr == null ? known : vr,
          java.util.Arrays.copyOfRange(data, at, at + length)));
    }
  }

  private void readValue(int group, int element, int at, int length) {
    if (group == 0x0028) {
      switch (element) {
        case 0x0002 -> samplesPerPixel = u16(at);
        case 0x0004 -> photometric = text(at, length);
        case 0x0008 -> frames = Integer.parseInt(text(at, length));
        case 0x0010 -> rows = u16(at);
        case 0x0011 -> columns = u16(at);
        case 0x0100 -> bitsAllocated = u16(at);
        case 0x0101 -> bitsStored = u16(at);
        case 0x0102 -> highBit = u16(at);
        case 0x0103 -> pixelRepresentation = u16(at);
        case 0x1052 -> intercept = Double.parseDouble(DicomValues.firstValue(text(at, length)));
        case 0x1053 -> slope = Double.parseDouble(DicomValues.firstValue(text(at, length)));
        default -> { }
      }
    } else if (group == 0x0008) {
      switch (element) {
        case 0x0008 -> imageType = List.of(text(at, length).split("\\\\"));
        case 0x0016 -> sopClassUid = text(at, length);
        case 0x0018 -> sopInstanceUid = text(at, length);
        case 0x0060 -> modality = text(at, length);
        case 0x103E -> seriesDescription = text(at, length);
        default -> { }
      }
    } else if (group == 0x0020) {
      switch (element) {
        case 0x000D -> studyUid = text(at, length);
        case 0x000E -> seriesUid = text(at, length);
        case 0x0013 -> instanceNumber = DicomValues.integerOrNull(text(at, length));
        case 0x0032 -> position = DicomValues.numbers(text(at, length), 3);
        case 0x0037 -> orientation = DicomValues.numbers(text(at, length), 6);
        default -> { }
      }
    }
  }

  private DicomImage buildImage() throws DicomFormatException {
    if (pixelOffset < 0) {
      throw new DicomFormatException("DICOM file has no pixel data (7FE0,0010)");
    }
    if (rows <= 0 || columns <= 0) {
      throw new DicomFormatException("DICOM lacks Rows/Columns (got " + rows + "x" + columns + ")");
    }
    if (samplesPerPixel != 1 || !photometric.startsWith("MONOCHROME")) {
      throw new DicomFormatException("only single-channel MONOCHROME1/2 DICOM is supported, got "
          + samplesPerPixel + " samples, " + photometric);
    }
    if (bitsAllocated != 8 && bitsAllocated != 16) {
      throw new DicomFormatException("BitsAllocated must be 8 or 16, got " + bitsAllocated);
    }
    if (bitsStored <= 0 || bitsStored > bitsAllocated) {
      bitsStored = bitsAllocated;
    }
    if (highBit < bitsStored - 1 || highBit >= bitsAllocated) {
      highBit = bitsStored - 1;
    }
    if (frames <= 0) {
      throw new DicomFormatException("NumberOfFrames must be positive, got " + frames);
    }
    long pixels = (long) rows * columns;
    if (pixels * frames > maxPixels) {
      throw new DicomTooLargeException("DICOM has " + rows + "x" + columns + "x" + frames + " pixels, more than the "
          + maxPixels + " allowed");
    }
    if (pixelOffset < 0) {
      throw new DicomFormatException("DICOM file has no pixel data (7FE0,0010)");
    }
    int shift = highBit + 1 - bitsStored;
    int mask = (1 << bitsStored) - 1;
    int[][] stored = new int[frames][];
    if (TransferSyntax.JPEG.contains(transferSyntax)) {
      if (pixelLength != UNDEFINED) {
        throw new DicomFormatException("JPEG transfer syntax with unencapsulated pixel data");
      }
      List<byte[]> compressed = EncapsulatedPixelData.frames(data, pixelOffset, frames);
      for (int f = 0; f < frames; f++) {
        int[] values = JpegPixelDecoder.decode(compressed.get(f), rows, columns, transferSyntax);
        // A JPEG codestream carries the stored values themselves (no HighBit shift).
        for (int i = 0; i < values.length; i++) {
          values[i] = signed(values[i] & mask);
        }
        stored[f] = values;
      }
      return image(stored);
    }
    int bytesPerSample = bitsAllocated / 8;
    long needed = pixels * frames * bytesPerSample;
    byte[] raw;
    ByteOrder order = buf.order();
    if (transferSyntax.equals(TransferSyntax.RLE)) {
      raw = RleDecoder.decode(data, pixelOffset, rows, columns, frames, bytesPerSample);
      order = ByteOrder.BIG_ENDIAN; // decoder writes samples most significant byte first
    } else {
      if (pixelLength == UNDEFINED) {
        throw new DicomFormatException("encapsulated pixel data in an uncompressed transfer syntax");
      }
      if (pixelLength < needed || pixelOffset + needed > data.length) {
        throw new DicomFormatException("truncated DICOM: pixel data needs " + needed + " bytes, file has "
            + Math.max(0, Math.min(pixelLength, data.length - pixelOffset)));
      }
      raw = java.util.Arrays.copyOfRange(data, pixelOffset, pixelOffset + (int) needed);
    }
    // Samples read in bulk (a short view of the bytes), then masked and sign-extended in one loop.
    java.nio.ShortBuffer shorts = bytesPerSample == 2 ? ByteBuffer.wrap(raw).order(order).asShortBuffer() : null;
    short[] samples = bytesPerSample == 2 ? new short[(int) pixels] : null;
    for (int f = 0; f < frames; f++) {
      int[] values = new int[(int) pixels];
      int offset = (int) (f * pixels);
      if (samples != null) {
        shorts.get(offset, samples);
        for (int i = 0; i < values.length; i++) {
          values[i] = signed(((samples[i] & 0xffff) >>> shift) & mask);
        }
      } else {
        for (int i = 0; i < values.length; i++) {
          values[i] = signed(((raw[offset + i] & 0xff) >>> shift) & mask);
        }
      }
      stored[f] = values;
    }
    return image(stored);
  }

  /** Sign-extends a masked stored value when PixelRepresentation says the values are signed. */
  private int signed(int v) {
    return pixelRepresentation == 1 && (v & (1 << (bitsStored - 1))) != 0 ? v - (1 << bitsStored) : v;
  }

  private DicomImage image(int[][] stored) {
    return new DicomImage(rows, columns, stored, slope, intercept, photometric, modality, attributes());
  }

  DicomAttributes attributes() {
    return new DicomAttributes(studyUid, seriesUid, sopClassUid, sopInstanceUid, imageType, instanceNumber, position,
        orientation, seriesDescription);
  }

  private void need(int pos, long length) throws DicomFormatException {
    if (pos < 0 || length < 0 || pos + length > data.length) {
      throw new DicomFormatException("truncated DICOM: an element at byte " + pos + " needs " + length
          + " bytes, the file has " + Math.max(0, data.length - pos));
    }
  }

  private int u16(int pos) {
    return buf.getShort(pos) & 0xffff;
  }

  private long u32(int pos) {
    return buf.getInt(pos) & 0xffffffffL;
  }

  private String text(int at, int length) {
    return new String(data, at, length, StandardCharsets.US_ASCII).replace('\0', ' ').strip();
  }
}
