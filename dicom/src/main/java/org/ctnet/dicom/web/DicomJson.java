package org.ctnet.dicom.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** The DICOM JSON model (PS3.18 F.2): read a value out of a QIDO-RS answer, build a STOW-RS response. */
public final class DicomJson {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private DicomJson() {}

  /** A tag as DICOM JSON names it: eight upper-case hex digits. */
  public static String tag(int tag) {
    return String.format("%08X", tag);
  }

  /** The first value of an attribute as text (a PN's Alphabetic form), or empty. */
  public static String string(JsonNode dataset, int tag) {
    JsonNode v = dataset.path(tag(tag)).path("Value").path(0);
    if (v.isMissingNode() || v.isNull()) {
      return "";
    }
    return v.isObject() ? v.path("Alphabetic").asText("") : v.asText("");
  }

  /** An attribute of value representation {@code vr} with text values. */
  public static ObjectNode attribute(String vr, String... values) {
    ObjectNode a = NODES.objectNode().put("vr", vr);
    if (values.length > 0) {
      ArrayNode v = a.putArray("Value");
      for (String s : values) {
        v.add(s);
      }
    }
    return a;
  }

  public static ObjectNode numberAttribute(String vr, long value) {
    ObjectNode a = NODES.objectNode().put("vr", vr);
    a.putArray("Value").add(value);
    return a;
  }

  public static ObjectNode sequence(List<ObjectNode> items) {
    ObjectNode a = NODES.objectNode().put("vr", "SQ");
    a.putArray("Value").addAll(items);
    return a;
  }

  public static ObjectNode object() {
    return NODES.objectNode();
  }

  /**
   * A study's Patient/Study elements from a QIDO-RS study answer (UTF-8 JSON, so the character set
   * becomes ISO_IR 192), for results about a study none of whose images could be read.
   */
  public static org.ctnet.dicom.StudyContext studyContext(JsonNode study) {
    java.util.Map<Integer, org.ctnet.dicom.StudyContext.Element> e = new java.util.LinkedHashMap<>();
    e.put(org.ctnet.dicom.Tag.SPECIFIC_CHARACTER_SET, new org.ctnet.dicom.StudyContext.Element("CS",
        "ISO_IR 192".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    org.ctnet.dicom.StudyContext.COPIED.forEach((tag, vr) -> {
      String v = string(study, tag);
      if (!v.isEmpty() && tag != org.ctnet.dicom.Tag.SPECIFIC_CHARACTER_SET) {
        e.put(tag, new org.ctnet.dicom.StudyContext.Element(vr, v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      }
    });
    return new org.ctnet.dicom.StudyContext(e);
  }

  static String failureReasons(JsonNode failedItems) {
    List<String> reasons = new ArrayList<>();
    failedItems.forEach(item -> reasons.add(string(item, org.ctnet.dicom.Tag.FAILURE_REASON)));
    return String.join(", ", reasons);
  }
}
