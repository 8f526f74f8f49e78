package org.ctnet.dicom.write;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ctnet.dicom.StudyContext;

/**
 * A dataset to write: elements by tag in ascending order (Part 10 order), each a VR and its value
 * bytes, or a sequence of item datasets. Text is ASCII unless it is copied from a source in its own
 * character set ({@link #copy}); numbers are little endian as in explicit VR little endian.
 */
public final class DicomDataset {
  /** One element: its VR, and either value bytes (unpadded) or items (VR SQ). */
  public record Element(String vr, byte[] value, List<DicomDataset> items) {}

  private final TreeMap<Integer, Element> elements = new TreeMap<>(Integer::compareUnsigned);
  /** Longest value (per value of a multi-valued element) of the string VRs this project writes (PS3.5 6.2). */
  private static final Map<String, Integer> MAX_LENGTH = Map.of("AE", 16, "CS", 16, "DA", 8, "DS", 16, "IS", 12,
      "LO", 64, "PN", 64 * 5, "SH", 16, "TM", 16, "UI", 64);
  private static final Map<String, Integer> MAX_TEXT = Map.of("ST", 1024, "LT", 10240);

  public DicomDataset text(int tag, String vr, String value) {
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) > 0x7e || value.charAt(i) < 0x20 && value.charAt(i) != '\n' && value.charAt(i) != '\r') {
        throw new IllegalArgumentException(String.format("(%08X) text must be printable ASCII: %s", tag, value));
      }
    }
    Integer max = MAX_LENGTH.get(vr);
    if (max != null) {
      for (String v : value.split("\\\\", -1)) {
        if (v.length() > max) {
          throw new IllegalArgumentException(String.format("(%08X) %s values are at most %d characters: %s", tag, vr,
              max, v));
        }
      }
    }
    Integer text = MAX_TEXT.get(vr);
    if (text != null && value.length() > text) {
      throw new IllegalArgumentException(String.format("(%08X) %s is at most %d characters", tag, vr, text));
    }
    return put(tag, new Element(vr, value.getBytes(StandardCharsets.US_ASCII), null));
  }

  /** Several values of a string VR, joined by backslashes. */
  public DicomDataset texts(int tag, String vr, String... values) {
    return text(tag, vr, String.join("\\", values));
  }

  public DicomDataset us(int tag, int... values) {
    byte[] b = new byte[values.length * 2];
    for (int i = 0; i < values.length; i++) {
      b[2 * i] = (byte) values[i];
      b[2 * i + 1] = (byte) (values[i] >>> 8);
    }
    return put(tag, new Element("US", b, null));
  }

  /** Attribute tags as values (VR AT): group then element, each little endian. */
  public DicomDataset at(int tag, int... tags) {
    byte[] b = new byte[tags.length * 4];
    for (int i = 0; i < tags.length; i++) {
      int group = tags[i] >>> 16;
      int element = tags[i] & 0xFFFF;
      b[4 * i] = (byte) group;
      b[4 * i + 1] = (byte) (group >>> 8);
      b[4 * i + 2] = (byte) element;
      b[4 * i + 3] = (byte) (element >>> 8);
    }
    return put(tag, new Element("AT", b, null));
  }

  /** Several UL values. */
  public DicomDataset uls(int tag, long... values) {
    byte[] b = new byte[values.length * 4];
    for (int i = 0; i < values.length; i++) {
      for (int k = 0; k < 4; k++) {
        b[4 * i + k] = (byte) (values[i] >>> (8 * k));
      }
    }
    return put(tag, new Element("UL", b, null));
  }

  public DicomDataset ul(int tag, long value) {
    return put(tag, new Element("UL", new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16),
        (byte) (value >>> 24)}, null));
  }

  public DicomDataset fd(int tag, double value) {
    long bits = Double.doubleToLongBits(value);
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (bits >>> (8 * i));
    }
    return put(tag, new Element("FD", b, null));
  }

  /** An empty value (a type 2 element the object must carry, known to be unknown). */
  public DicomDataset empty(int tag, String vr) {
    return "SQ".equals(vr) ? put(tag, new Element(vr, null, List.of())) : put(tag, new Element(vr, new byte[0], null));
  }

  public DicomDataset bytes(int tag, String vr, byte[] value) {
    return put(tag, new Element(vr, value, null));
  }

  public DicomDataset sequence(int tag, List<DicomDataset> items) {
    return put(tag, new Element("SQ", null, List.copyOf(items)));
  }

  public DicomDataset sequence(int tag, DicomDataset... items) {
    return sequence(tag, List.of(items));
  }

  /** The source's own Patient/Study elements (bytes and VR as they were), except those listed. */
  public DicomDataset copy(StudyContext context, int... except) {
    outer:
    for (Map.Entry<Integer, StudyContext.Element> e : context.elements().entrySet()) {
      for (int skip : except) {
        if (skip == e.getKey()) {
          continue outer;
        }
      }
      put(e.getKey(), new Element(e.getValue().vr(), e.getValue().value(), null));
    }
    return this;
  }

  public boolean has(int tag) {
    return elements.containsKey(tag);
  }

  private DicomDataset put(int tag, Element element) {
    elements.put(tag, element);
    return this;
  }

  /** The elements in tag order. */
  public Map<Integer, Element> elements() {
    return Collections.unmodifiableMap(elements);
  }

  /** A fresh list for building sequences. */
  public static List<DicomDataset> items() {
    return new ArrayList<>();
  }
}
