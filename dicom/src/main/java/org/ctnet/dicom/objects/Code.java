package org.ctnet.dicom.objects;

import org.ctnet.dicom.Tag;
import org.ctnet.dicom.write.DicomDataset;

/** A coded concept (PS3.3 8.8): value, coding scheme, meaning. */
public record Code(String value, String scheme, String meaning) {
  // Report structure (DICOM's own codes, PS3.16 Annex D; LOINC for the title).
  public static final Code IMAGING_REPORT = new Code("18748-4", "LN", "Diagnostic imaging report");
  public static final Code COMMENT = new Code("121106", "DCM", "Comment");
  public static final Code FINDING = new Code("121071", "DCM", "Finding");
  public static final Code ALGORITHM_NAME = new Code("111001", "DCM", "Algorithm Name");
  public static final Code ALGORITHM_VERSION = new Code("111003", "DCM", "Algorithm Version");
  public static final Code SOURCE_OF_MEASUREMENT = new Code("121112", "DCM", "Source of Measurement");
  // This project's own concepts (a private coding scheme: PS3.3 8.8.3, "99" prefix).
  public static final String PRIVATE_SCHEME = "99CTNET";
  public static final Code PROBABILITY = new Code("probability", PRIVATE_SCHEME, "COVID-19 probability");
  public static final Code THRESHOLD = new Code("threshold", PRIVATE_SCHEME, "Locked decision threshold");
  public static final Code DECISION_RULE = new Code("rule", PRIVATE_SCHEME, "Scan decision rule");
  public static final Code LUNG_INVOLVEMENT = new Code("involvement", PRIVATE_SCHEME, "Lung involvement");
  public static final Code SEVERITY = new Code("severity", PRIVATE_SCHEME, "CT severity category");
  public static final Code INPUT_CHECK = new Code("input-check", PRIVATE_SCHEME, "Input check");
  public static final Code SERIES_SELECTION = new Code("series", PRIVATE_SCHEME, "Series selection");
  // Findings (SNOMED CT).
  public static final Code COVID_19 = new Code("840539006", "SCT", "COVID-19");
  public static final Code PRESENT = new Code("52101004", "SCT", "Present");
  public static final Code ABSENT = new Code("2667000", "SCT", "Absent");
  public static final Code LESION = new Code("52988006", "SCT", "Lesion");
  public static final Code LUNG = new Code("39607008", "SCT", "Lung");
  public static final Code MORPHOLOGICALLY_ABNORMAL_STRUCTURE =
      new Code("49755003", "SCT", "Morphologically Abnormal Structure");
  // Units (UCUM).
  public static final Code NO_UNITS = new Code("1", "UCUM", "no units");
  public static final Code PERCENT = new Code("%", "UCUM", "percent");

  /** The code as a sequence item. */
  public DicomDataset item() {
    return new DicomDataset().text(Tag.CODE_VALUE, "SH", value).text(Tag.CODING_SCHEME_DESIGNATOR, "SH", scheme)
        .text(Tag.CODE_MEANING, "LO", meaning);
  }
}
