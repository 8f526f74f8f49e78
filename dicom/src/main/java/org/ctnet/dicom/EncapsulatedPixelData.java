package org.ctnet.dicom;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Encapsulated (compressed) pixel data, PS3.5 A.4: a Basic Offset Table item, then fragment items,
 * then a sequence delimiter. Gives one compressed byte stream per frame.
 */
final class EncapsulatedPixelData {
  private EncapsulatedPixelData() {}

  /**
   * The compressed stream of each frame. One frame takes every fragment; several frames follow the
   * offset table when it is filled, else take one fragment each (the usual writer's layout).
   */
  static List<byte[]> frames(byte[] data, int offset, int frameCount) throws DicomFormatException {
    ByteBuffer le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    List<Integer> starts = new ArrayList<>();
    List<byte[]> fragments = new ArrayList<>();
    int pos = offset;
    long[] offsetTable = new long[0];
    boolean first = true;
    while (true) {
      if (pos + 8 > data.length) {
        throw new DicomFormatException("truncated DICOM: encapsulated pixel data has no sequence delimiter");
      }
      int group = le.getShort(pos) & 0xffff;
      int element = le.getShort(pos + 2) & 0xffff;
      long length = le.getInt(pos + 4) & 0xffffffffL;
      if (group == 0xFFFE && element == 0xE0DD) {
        break;
      }
      if (group != 0xFFFE || element != 0xE000) {
        throw new DicomFormatException("malformed encapsulated pixel data at byte " + pos);
      }
      if (length == 0xFFFFFFFFL || pos + 8 + length > data.length) {
        throw new DicomFormatException("truncated DICOM: a pixel data fragment at byte " + pos
            + " runs past the end of the file");
      }
      if (first) {
        offsetTable = new long[(int) (length / 4)];
        for (int i = 0; i < offsetTable.length; i++) {
          offsetTable[i] = le.getInt(pos + 8 + 4 * i) & 0xffffffffL;
        }
        first = false;
      } else {
        starts.add(pos);
        fragments.add(java.util.Arrays.copyOfRange(data, pos + 8, pos + 8 + (int) length));
      }
      pos += 8 + (int) length;
    }
    if (fragments.isEmpty()) {
      throw new DicomFormatException("encapsulated pixel data holds no fragments");
    }
    if (frameCount == 1) {
      return List.of(concat(fragments, 0, fragments.size()));
    }
    if (offsetTable.length == frameCount) {
      int firstFragment = starts.get(0);
      List<byte[]> frames = new ArrayList<>();
      for (int f = 0; f < frameCount; f++) {
        int from = indexOf(starts, firstFragment + offsetTable[f]);
        int to = f + 1 < frameCount ? indexOf(starts, firstFragment + offsetTable[f + 1]) : fragments.size();
        if (from < 0 || to < 0 || to <= from) {
          throw new DicomFormatException("the basic offset table does not point at the fragments of frame " + f);
        }
        frames.add(concat(fragments, from, to));
      }
      return frames;
    }
    if (fragments.size() == frameCount) {
      return fragments;
    }
    throw new DicomFormatException("cannot split " + fragments.size() + " pixel data fragments into "
        + frameCount + " frames without a basic offset table");
  }

  private static int indexOf(List<Integer> starts, long position) {
    return position > Integer.MAX_VALUE ? -1 : starts.indexOf((int) position);
  }

  private static byte[] concat(List<byte[]> fragments, int from, int to) {
    if (to - from == 1) {
      return fragments.get(from);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = from; i < to; i++) {
      out.writeBytes(fragments.get(i));
    }
    return out.toByteArray();
  }
}
