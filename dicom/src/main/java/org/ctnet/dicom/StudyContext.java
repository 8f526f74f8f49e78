package org.ctnet.dicom;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The source's Patient and General Study module elements (and what a derived object must share with
 * it: character set, frame of reference, pixel geometry), kept as the file's own value bytes with
 * their VR so results written into the study carry them unchanged, in the source's character set.
 * These are patient identifiers: never log them.
 */
public record StudyContext(Map<Integer, Element> elements) {
  /** A value as the file wrote it. */
  public record Element(String vr, byte[] value) {}

  /** Tags copied from a source image into every result, with their VR (for implicit-VR sources). */
  public static final Map<Integer, String> COPIED = copied();

  public static final StudyContext EMPTY = new StudyContext(Map.of());

  public StudyContext {
    elements = Collections.unmodifiableMap(new LinkedHashMap<>(elements));
  }

  private static Map<Integer, String> copied() {
    Map<Integer, String> m = new LinkedHashMap<>();
    m.put(Tag.SPECIFIC_CHARACTER_SET, "CS");
    m.put(Tag.STUDY_DATE, "DA");
    m.put(Tag.STUDY_TIME, "TM");
    m.put(Tag.ACCESSION_NUMBER, "SH");
    m.put(Tag.REFERRING_PHYSICIAN_NAME, "PN");
    m.put(Tag.STUDY_DESCRIPTION, "LO");
    m.put(Tag.PATIENT_NAME, "PN");
    m.put(Tag.PATIENT_ID, "LO");
    m.put(Tag.ISSUER_OF_PATIENT_ID, "LO");
    m.put(Tag.PATIENT_BIRTH_DATE, "DA");
    m.put(Tag.PATIENT_SEX, "CS");
    m.put(Tag.STUDY_ID, "SH");
    m.put(Tag.FRAME_OF_REFERENCE_UID, "UI");
    m.put(Tag.SLICE_THICKNESS, "DS");
    m.put(Tag.PIXEL_SPACING, "DS");
    return Collections.unmodifiableMap(m);
  }

  /** A copied element's value as ASCII text with padding removed, or empty. */
  public String text(int tag) {
    Element e = elements.get(tag);
    return e == null ? "" : new String(e.value(), StandardCharsets.ISO_8859_1).replace('\0', ' ').strip();
  }
}
