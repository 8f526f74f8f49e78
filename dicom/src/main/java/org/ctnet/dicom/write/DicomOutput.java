package org.ctnet.dicom.write;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.ctnet.dicom.Tag;

/**
 * Writes a dataset as a DICOM Part 10 file: the 128-byte preamble, "DICM", file meta information
 * (group 0002) and the dataset in explicit VR little endian with defined lengths throughout.
 */
public final class DicomOutput {
  public static final String EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
  /** This implementation's class UID (under the project's UUID-derived root) and name. */
  public static final String IMPLEMENTATION_CLASS_UID = "2.25.209657312645133213004263463851498116353";
  public static final String IMPLEMENTATION_VERSION = "CTNET_JAVA_1";

  private static final Set<String> LONG_LENGTH_VRS =
      Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV");
  /** Padded with NUL rather than space (PS3.5 6.2). */
  private static final Set<String> NUL_PADDED = Set.of("UI", "OB", "UN");

  private DicomOutput() {}

  /** The Part 10 file of {@code dataset}, whose SOP class and instance UIDs it must carry. */
  public static byte[] file(DicomDataset dataset) {
    Map<Integer, DicomDataset.Element> e = dataset.elements();
    String sopClass = ascii(e.get(Tag.SOP_CLASS_UID), "SOPClassUID");
    String sopInstance = ascii(e.get(Tag.SOP_INSTANCE_UID), "SOPInstanceUID");
    DicomDataset meta = new DicomDataset()
        .bytes(0x00020001, "OB", new byte[] {0, 1})
        .text(0x00020002, "UI", sopClass)
        .text(0x00020003, "UI", sopInstance)
        .text(0x00020010, "UI", EXPLICIT_VR_LITTLE_ENDIAN)
        .text(0x00020012, "UI", IMPLEMENTATION_CLASS_UID)
        .text(0x00020013, "SH", IMPLEMENTATION_VERSION);
    byte[] metaBytes = encode(meta);
    ByteArrayOutputStream out = new ByteArrayOutputStream(metaBytes.length + 4096);
    out.writeBytes(new byte[128]);
    out.writeBytes("DICM".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(encode(new DicomDataset().ul(0x00020000, metaBytes.length)));
    out.writeBytes(metaBytes);
    out.writeBytes(encode(dataset));
    return out.toByteArray();
  }

  /** The dataset's elements, explicit VR little endian. */
  static byte[] encode(DicomDataset dataset) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<Integer, DicomDataset.Element> entry : dataset.elements().entrySet()) {
      int tag = entry.getKey();
      DicomDataset.Element element = entry.getValue();
      byte[] value;
      if ("SQ".equals(element.vr())) {
        ByteArrayOutputStream items = new ByteArrayOutputStream();
        for (DicomDataset item : element.items()) {
          byte[] body = encode(item);
          u16(items, 0xFFFE);
          u16(items, 0xE000);
          u32(items, body.length);
          items.writeBytes(body);
        }
        value = items.toByteArray();
      } else {
        value = padded(element.vr(), element.value());
      }
      u16(out, tag >>> 16);
      u16(out, tag & 0xFFFF);
      out.writeBytes(element.vr().getBytes(StandardCharsets.US_ASCII));
      if (LONG_LENGTH_VRS.contains(element.vr())) {
        u16(out, 0);
        u32(out, value.length);
      } else {
        if (value.length > 0xFFFF) {
          throw new IllegalArgumentException(String.format("(%08X) %s value of %d bytes is too long", tag,
              element.vr(), value.length));
        }
        u16(out, value.length);
      }
      out.writeBytes(value);
    }
    return out.toByteArray();
  }

  private static byte[] padded(String vr, byte[] value) {
    if (value.length % 2 == 0) {
      return value;
    }
    byte[] out = java.util.Arrays.copyOf(value, value.length + 1);
    out[value.length] = NUL_PADDED.contains(vr) ? 0 : (byte) ' ';
    return out;
  }

  private static String ascii(DicomDataset.Element element, String name) {
    if (element == null) {
      throw new IllegalArgumentException("a DICOM object needs its " + name);
    }
    return new String(element.value(), StandardCharsets.US_ASCII);
  }

  private static void u16(ByteArrayOutputStream out, int v) {
    out.write(v & 0xff);
    out.write((v >>> 8) & 0xff);
  }

  private static void u32(ByteArrayOutputStream out, long v) {
    u16(out, (int) (v & 0xFFFF));
    u16(out, (int) ((v >>> 16) & 0xFFFF));
  }
}
