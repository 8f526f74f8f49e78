package org.ctnet.dicom.objects;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.ctnet.dicom.StudyContext;
import org.ctnet.dicom.Tag;
import org.ctnet.dicom.write.DicomDataset;

/**
 * What every result object written into a source study shares: the source's Patient and Study
 * modules (so the PACS files it in that study), a new series of its own, the instance's identity and
 * the equipment that made it.
 *
 * @param context the source's Patient/Study elements
 * @param studyUid the source's StudyInstanceUID
 * @param seriesUid the new series
 * @param seriesNumber the new series' number (kept clear of the scanner's usual numbers)
 * @param seriesDescription what the series holds, shown in viewers' series lists
 * @param manufacturer the software's name, as General Equipment's Manufacturer
 * @param softwareVersion model name and version
 * @param created when the result was made
 */
public record ResultHeader(StudyContext context, String studyUid, String seriesUid, int seriesNumber,
    String seriesDescription, String manufacturer, String softwareVersion, LocalDateTime created) {
  private static final int[] TYPE_2_PATIENT_STUDY = {Tag.PATIENT_NAME, Tag.PATIENT_ID, Tag.PATIENT_BIRTH_DATE,
      Tag.PATIENT_SEX, Tag.STUDY_DATE, Tag.STUDY_TIME, Tag.REFERRING_PHYSICIAN_NAME, Tag.STUDY_ID,
      Tag.ACCESSION_NUMBER};
  private static final String[] TYPE_2_VRS = {"PN", "LO", "DA", "CS", "DA", "TM", "PN", "SH", "SH"};

  /** A dataset with these modules filled for one instance of the series. */
  public DicomDataset dataset(String sopClassUid, String sopInstanceUid, int instanceNumber, String modality) {
    DicomDataset d = new DicomDataset().copy(context, Tag.FRAME_OF_REFERENCE_UID, Tag.SLICE_THICKNESS,
        Tag.PIXEL_SPACING);
    for (int i = 0; i < TYPE_2_PATIENT_STUDY.length; i++) {
      if (!d.has(TYPE_2_PATIENT_STUDY[i])) {
        d.empty(TYPE_2_PATIENT_STUDY[i], TYPE_2_VRS[i]);
      }
    }
    String date = created.format(DateTimeFormatter.BASIC_ISO_DATE);
    String time = created.format(DateTimeFormatter.ofPattern("HHmmss"));
    return d.text(Tag.SOP_CLASS_UID, "UI", sopClassUid)
        .text(Tag.SOP_INSTANCE_UID, "UI", sopInstanceUid)
        .text(Tag.INSTANCE_CREATION_DATE, "DA", date)
        .text(Tag.INSTANCE_CREATION_TIME, "TM", time)
        .text(Tag.SERIES_DATE, "DA", date)
        .text(Tag.SERIES_TIME, "TM", time)
        .text(Tag.CONTENT_DATE, "DA", date)
        .text(Tag.CONTENT_TIME, "TM", time)
        .text(Tag.MODALITY, "CS", modality)
        .text(Tag.MANUFACTURER, "LO", manufacturer)
        .text(Tag.SERIES_DESCRIPTION, "LO", seriesDescription)
        .text(Tag.SOFTWARE_VERSIONS, "LO", softwareVersion)
        .text(Tag.STUDY_INSTANCE_UID, "UI", studyUid)
        .text(Tag.SERIES_INSTANCE_UID, "UI", seriesUid)
        .text(Tag.SERIES_NUMBER, "IS", Integer.toString(seriesNumber))
        .text(Tag.INSTANCE_NUMBER, "IS", Integer.toString(instanceNumber));
  }
}
