package org.ctnet.graph.scan;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.ctnet.graph.preprocess.ImageDecodeException;

/**
 * A zip held in memory, read through its central directory so that its entries can be inflated side
 * by side, each into an array of exactly its size. A scan is hundreds of 0.5 MB slices; inflating them
 * one after another on one core was a large share of a scan's time over HTTP.
 *
 * <p>Sizes the archive declares only bound allocations (their sum is checked against the caller's
 * limit before anything is allocated); every entry must then inflate to exactly its declared size and
 * match its CRC-32 (as {@code ZipInputStream} checks it), so a lying or damaged archive is refused, never
 * trusted: a stored entry has no other check. Archives this reader does not handle (ZIP64, a comment
 * that hides the end record, spanned) return empty, and the caller streams them instead.
 */
final class ZipDirectory {
  private static final int END_SIGNATURE = 0x06054b50;
  private static final int CENTRAL_SIGNATURE = 0x02014b50;
  private static final int LOCAL_SIGNATURE = 0x04034b50;
  private static final int END_SIZE = 22;
  private static final int STORED = 0;
  private static final int DEFLATED = 8;

  /** One file of the archive as its central directory describes it. */
  record Entry(String name, int method, long crc, long compressedSize, long size, long localOffset, boolean encrypted) {
    boolean isDirectory() {
      return name.endsWith("/");
    }
  }

  private ZipDirectory() {}

  /** The entries in directory order, or empty when the archive is not one this reader handles. */
  static Optional<List<Entry>> entries(byte[] zip) {
    ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
    int end = -1;
    for (int p = zip.length - END_SIZE; p >= Math.max(0, zip.length - END_SIZE - 0xFFFF); p--) {
      if (b.getInt(p) == END_SIGNATURE && p + END_SIZE + (b.getShort(p + 20) & 0xFFFF) == zip.length) {
        end = p;
        break;
      }
    }
    if (end < 0) {
      return Optional.empty();
    }
    int count = b.getShort(end + 10) & 0xFFFF;
    long directorySize = b.getInt(end + 12) & 0xFFFFFFFFL;
    long directoryOffset = b.getInt(end + 16) & 0xFFFFFFFFL;
    if ((b.getShort(end + 4) & 0xFFFF) != 0 || count == 0xFFFF || directoryOffset == 0xFFFFFFFFL
        || directoryOffset + directorySize > end) {
      return Optional.empty(); // spanned or ZIP64
    }
    List<Entry> out = new ArrayList<>(count);
    int p = (int) directoryOffset;
    for (int i = 0; i < count; i++) {
      if (p + 46 > end || b.getInt(p) != CENTRAL_SIGNATURE) {
        return Optional.empty();
      }
      int flags = b.getShort(p + 8) & 0xFFFF;
      int method = b.getShort(p + 10) & 0xFFFF;
      long crc = b.getInt(p + 16) & 0xFFFFFFFFL;
      long compressed = b.getInt(p + 20) & 0xFFFFFFFFL;
      long size = b.getInt(p + 24) & 0xFFFFFFFFL;
      int nameLength = b.getShort(p + 28) & 0xFFFF;
      int extraLength = b.getShort(p + 30) & 0xFFFF;
      int commentLength = b.getShort(p + 32) & 0xFFFF;
      long local = b.getInt(p + 42) & 0xFFFFFFFFL;
      if (compressed == 0xFFFFFFFFL || size == 0xFFFFFFFFL || local == 0xFFFFFFFFL || p + 46 + nameLength > end) {
        return Optional.empty();
      }
      String name = new String(zip, p + 46, nameLength, (flags & 0x800) != 0 ? StandardCharsets.UTF_8
          : StandardCharsets.ISO_8859_1);
      out.add(new Entry(name, method, crc, compressed, size, local, (flags & 1) != 0));
      p += 46 + nameLength + extraLength + commentLength;
    }
    return Optional.of(out);
  }

  /**
   * The entry's bytes, inflated into an array of its declared size; refused when it inflates to any other
   * size or its CRC-32 differs from the directory's.
   */
  static byte[] read(byte[] zip, Entry e) throws ImageDecodeException {
    if (e.encrypted()) {
      throw new ImageDecodeException("zip entry " + e.name() + " is encrypted");
    }
    ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
    long local = e.localOffset();
    if (local + 30 > zip.length || b.getInt((int) local) != LOCAL_SIGNATURE) {
      throw new ImageDecodeException("zip entry " + e.name() + " has no local header where the directory says");
    }
    long start = local + 30 + (b.getShort((int) local + 26) & 0xFFFF) + (b.getShort((int) local + 28) & 0xFFFF);
    if (start + e.compressedSize() > zip.length) {
      throw new ImageDecodeException("zip entry " + e.name() + " runs past the end of the archive");
    }
    byte[] out = new byte[(int) e.size()];
    switch (e.method()) {
      case STORED -> {
        if (e.compressedSize() != e.size()) {
          throw new ImageDecodeException("stored zip entry " + e.name() + " declares two sizes");
        }
        System.arraycopy(zip, (int) start, out, 0, out.length);
      }
      case DEFLATED -> inflate(zip, (int) start, (int) e.compressedSize(), out, e.name());
      default -> throw new ImageDecodeException("zip entry " + e.name() + " uses compression method " + e.method()
          + " (stored and deflated are read)");
    }
    CRC32 crc = new CRC32();
    crc.update(out);
    if (crc.getValue() != e.crc()) {
      throw new ImageDecodeException("zip entry " + e.name() + " is damaged: its CRC-32 does not match the archive's");
    }
    return out;
  }

  private static void inflate(byte[] zip, int start, int length, byte[] out, String name) throws ImageDecodeException {
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(zip, start, length);
      int filled = 0;
      while (filled < out.length) {
        int n = inflater.inflate(out, filled, out.length - filled);
        if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        filled += n;
      }
      byte[] probe = new byte[1];
      boolean more = !inflater.finished() && inflater.inflate(probe) > 0;
      if (filled != out.length || more) {
        throw new ImageDecodeException("zip entry " + name + " does not inflate to its declared " + out.length + " bytes");
      }
    } catch (DataFormatException e) {
      throw new ImageDecodeException("zip entry " + name + " is corrupt: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }
}
