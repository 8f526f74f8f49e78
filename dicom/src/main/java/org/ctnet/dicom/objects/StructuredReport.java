package org.ctnet.dicom.objects;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ctnet.dicom.Tag;
import org.ctnet.dicom.write.DicomDataset;

/**
 * A Comprehensive SR document (PS3.3 A.35.3): a titled container of text, coded, numeric and image
 * content items, all "CONTAINS" children of the root, and the evidence (every referenced source
 * instance by study and series). Items are added in reading order.
 */
public final class StructuredReport {
  public static final String COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33";

  private final Code title;
  private final List<DicomDataset> content = new ArrayList<>();
  private final Map<String, List<ImageReference>> evidence = new LinkedHashMap<>();

  public StructuredReport(Code title) {
    this.title = title;
  }

  public StructuredReport text(Code concept, String value) {
    content.add(item("TEXT", concept).text(Tag.TEXT_VALUE, "UT", value));
    return this;
  }

  public StructuredReport code(Code concept, Code value) {
    content.add(item("CODE", concept).sequence(Tag.CONCEPT_CODE_SEQUENCE, value.item()));
    return this;
  }

  public StructuredReport number(Code concept, double value, Code units) {
    DicomDataset measured = new DicomDataset()
        .text(Tag.NUMERIC_VALUE, "DS", decimal(value))
        .sequence(Tag.MEASUREMENT_UNITS_CODE_SEQUENCE, units.item());
    content.add(item("NUM", concept).sequence(Tag.MEASURED_VALUE_SEQUENCE, measured));
    return this;
  }

  /** A source image the finding rests on; it joins the document's evidence. */
  public StructuredReport image(Code concept, ImageReference image) {
    content.add(item("IMAGE", concept).sequence(Tag.REFERENCED_SOP_SEQUENCE, image.item()));
    evidence.computeIfAbsent(image.seriesUid(), s -> new ArrayList<>()).add(image);
    return this;
  }

  /** The document's dataset: {@code header}'s modules, the SR modules and the content tree. */
  public DicomDataset dataset(DicomDataset header, String studyUid) {
    DicomDataset d = header
        .empty(Tag.REFERENCED_PERFORMED_PROCEDURE_STEP_SEQUENCE, "SQ")
        .empty(Tag.PERFORMED_PROCEDURE_CODE_SEQUENCE, "SQ")
        .text(Tag.COMPLETION_FLAG, "CS", "COMPLETE")
        .text(Tag.VERIFICATION_FLAG, "CS", "UNVERIFIED")
        .text(Tag.VALUE_TYPE, "CS", "CONTAINER")
        .sequence(Tag.CONCEPT_NAME_CODE_SEQUENCE, title.item())
        .text(Tag.CONTINUITY_OF_CONTENT, "CS", "SEPARATE")
        .sequence(Tag.CONTENT_SEQUENCE, content);
    if (!evidence.isEmpty()) {
      List<DicomDataset> series = new ArrayList<>();
      evidence.forEach((uid, images) -> series.add(new DicomDataset()
          .text(Tag.SERIES_INSTANCE_UID, "UI", uid)
          .sequence(Tag.REFERENCED_SOP_SEQUENCE, images.stream().distinct().map(ImageReference::item).toList())));
      d.sequence(Tag.CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE, new DicomDataset()
          .text(Tag.STUDY_INSTANCE_UID, "UI", studyUid)
          .sequence(Tag.REFERENCED_SERIES_SEQUENCE, series));
    }
    return d;
  }

  private static DicomDataset item(String valueType, Code concept) {
    return new DicomDataset()
        .text(Tag.RELATIONSHIP_TYPE, "CS", "CONTAINS")
        .text(Tag.VALUE_TYPE, "CS", valueType)
        .sequence(Tag.CONCEPT_NAME_CODE_SEQUENCE, concept.item());
  }

  /** A decimal string within DS's 16 characters. */
  static String decimal(double value) {
    String s = String.format(Locale.ROOT, "%.6g", value);
    if (s.contains("e")) {
      s = String.format(Locale.ROOT, "%.4e", value).replace("e+", "E").replace("e", "E");
    } else if (s.contains(".")) {
      s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
    return s;
  }
}
