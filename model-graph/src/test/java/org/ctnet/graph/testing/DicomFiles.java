package org.ctnet.graph.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes small explicit-VR little-endian DICOM files (bare datasets) with the attributes series
 * assembly reads, for tests: HU = stored − 1024.
 */
public final class DicomFiles {
  private DicomFiles() {}

  /** What to write; null attributes are left out of the file. */
  public record Slice(String modality, String imageType, String studyUid, String seriesUid, Integer instanceNumber,
      double[] position, double[] orientation, int rows, int columns, short[] hu) {

    public static Slice axial(String seriesUid, int instance, double z, short[] hu, int side) {
      return new Slice("CT", "ORIGINAL\\PRIMARY\\AXIAL", "1.2.3", seriesUid, instance, new double[] {-100, -100, z},
          new double[] {1, 0, 0, 0, 1, 0}, side, side, hu);
    }
  }

  public static byte[] write(Slice s) {
    ByteBuffer b = ByteBuffer.allocate(1024 + s.rows() * s.columns() * 2).order(ByteOrder.LITTLE_ENDIAN);
    if (s.imageType() != null) {
      element(b, 0x0008, 0x0008, "CS", text(s.imageType()));
    }
    element(b, 0x0008, 0x0016, "UI", text("1.2.840.10008.5.1.4.1.1.2"));
    if (s.modality() != null) {
      element(b, 0x0008, 0x0060, "CS", text(s.modality()));
    }
    if (s.studyUid() != null) {
      element(b, 0x0020, 0x000D, "UI", text(s.studyUid()));
    }
    if (s.seriesUid() != null) {
      element(b, 0x0020, 0x000E, "UI", text(s.seriesUid()));
    }
    if (s.instanceNumber() != null) {
      element(b, 0x0020, 0x0013, "IS", text(Integer.toString(s.instanceNumber())));
    }
    if (s.position() != null) {
      element(b, 0x0020, 0x0032, "DS", text(join(s.position())));
    }
    if (s.orientation() != null) {
      element(b, 0x0020, 0x0037, "DS", text(join(s.orientation())));
    }
    element(b, 0x0028, 0x0002, "US", shortValue(1));
    element(b, 0x0028, 0x0004, "CS", text("MONOCHROME2"));
    element(b, 0x0028, 0x0010, "US", shortValue(s.rows()));
    element(b, 0x0028, 0x0011, "US", shortValue(s.columns()));
    element(b, 0x0028, 0x0100, "US", shortValue(16));
    element(b, 0x0028, 0x0101, "US", shortValue(16));
    element(b, 0x0028, 0x0102, "US", shortValue(15));
    element(b, 0x0028, 0x0103, "US", shortValue(1));
    element(b, 0x0028, 0x1052, "DS", text("-1024"));
    element(b, 0x0028, 0x1053, "DS", text("1"));
    b.putShort((short) 0x7FE0).putShort((short) 0x0010).put("OW".getBytes(StandardCharsets.US_ASCII)).putShort((short) 0)
        .putInt(s.rows() * s.columns() * 2);
    for (short hu : s.hu()) {
      b.putShort((short) (hu + 1024));
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  /** A slice of air with a soft-tissue body disc and, optionally, two lungs at −800 HU. */
  public static short[] chest(int side, boolean withLungs) {
    return org.ctnet.dicom.testing.SyntheticCt.chest(side, withLungs);
  }

  private static String join(double[] values) {
    StringBuilder sb = new StringBuilder();
    for (double v : values) {
      sb.append(sb.length() > 0 ? "\\" : "").append(v);
    }
    return sb.toString();
  }

  private static byte[] text(String value) {
    byte[] raw = value.getBytes(StandardCharsets.US_ASCII);
    return raw.length % 2 == 0 ? raw : Arrays.copyOf(raw, raw.length + 1); // even length, padded with \0
  }

  private static byte[] shortValue(int value) {
    return new byte[] {(byte) value, (byte) (value >> 8)};
  }

  private static void element(ByteBuffer b, int group, int element, String vr, byte[] value) {
    b.putShort((short) group).putShort((short) element).put(vr.getBytes(StandardCharsets.US_ASCII))
        .putShort((short) value.length).put(value);
  }
}
