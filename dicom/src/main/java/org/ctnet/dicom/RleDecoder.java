package org.ctnet.dicom;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * DICOM RLE Lossless (PS3.5 Annex G): per frame one fragment with a 64-byte header of segment
 * offsets; each segment holds one byte plane (most significant first), PackBits-coded.
 */
final class RleDecoder {
  private RleDecoder() {}

  static byte[] decode(byte[] data, int offset, int rows, int columns, int frames, int bytesPerSample)
      throws DicomFormatException {
    int pixels = rows * columns;
    byte[] out = new byte[pixels * frames * bytesPerSample];
    ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    int pos = offset;
    // Basic offset table item.
    pos = expectItem(le, data, pos);
    pos += (int) (le.getInt(pos - 4) & 0xffffffffL);
    for (int f = 0; f < frames; f++) {
      int itemStart = expectItem(le, data, pos);
      long fragmentLength = le.getInt(itemStart - 4) & 0xffffffffL;
      if (itemStart + fragmentLength > data.length) {
        throw new DicomFormatException("truncated DICOM: RLE fragment of frame " + f + " runs past the end of the file");
      }
      int segments = le.getInt(itemStart);
      if (segments != bytesPerSample) {
        throw new DicomFormatException("RLE frame has " + segments + " segments, expected " + bytesPerSample);
      }
      for (int s = 0; s < segments; s++) {
        long segStart = itemStart + (le.getInt(itemStart + 4 + 4 * s) & 0xffffffffL);
        long segEnd = s + 1 < segments ? itemStart + (le.getInt(itemStart + 8 + 4 * s) & 0xffffffffL)
            : itemStart + fragmentLength;
        if (segStart < itemStart + 64 || segEnd > itemStart + fragmentLength || segStart > segEnd) {
          throw new DicomFormatException("RLE segment offsets out of range in frame " + f);
        }
        unpack(data, (int) segStart, (int) segEnd, out, f * pixels * bytesPerSample, s, bytesPerSample, pixels);
      }
      pos = itemStart + (int) fragmentLength;
    }
    return out;
  }

  private static int expectItem(ByteBuffer le, byte[] data, int pos) throws DicomFormatException {
    if (pos + 8 > data.length || (le.getShort(pos) & 0xffff) != 0xFFFE || (le.getShort(pos + 2) & 0xffff) != 0xE000) {
      throw new DicomFormatException("malformed encapsulated pixel data at byte " + pos);
    }
    return pos + 8;
  }

  private static void unpack(byte[] in, int from, int to, byte[] out, int base, int plane, int stride, int count)
      throws DicomFormatException {
    int written = 0;
    int p = from;
    while (p < to && written < count) {
      int n = in[p++];
      if (n >= 0) {
        int len = n + 1;
        if (p + len > to || written + len > count) {
          throw new DicomFormatException("corrupt RLE literal run");
        }
        for (int i = 0; i < len; i++) {
          out[base + (written++) * stride + plane] = in[p++];
        }
      } else if (n != -128) {
        int len = -n + 1;
        if (p >= to || written + len > count) {
          throw new DicomFormatException("corrupt RLE repeat run");
        }
        byte b = in[p++];
        for (int i = 0; i < len; i++) {
          out[base + (written++) * stride + plane] = b;
        }
      }
    }
    if (written != count) {
      throw new DicomFormatException("RLE segment decodes to " + written + " bytes, expected " + count);
    }
  }
}
