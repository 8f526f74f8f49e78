package org.ctnet.graph.preprocess;

import java.util.List;

/**
 * What places an image within its study and series (PS3.3 C.7): enough to assemble a series into a
 * scan and to drop what is not an axial CT image. Text attributes are empty and numbers null when the
 * file does not carry them.
 *
 * @param studyUid StudyInstanceUID (0020,000D)
 * @param seriesUid SeriesInstanceUID (0020,000E)
 * @param sopClassUid SOPClassUID (0008,0016)
 * @param sopInstanceUid SOPInstanceUID (0008,0018)
 * @param imageType ImageType (0008,0008) values, e.g. ORIGINAL, PRIMARY, AXIAL or LOCALIZER
 * @param instanceNumber InstanceNumber (0020,0013)
 * @param position ImagePositionPatient (0020,0032), x/y/z in mm
 * @param orientation ImageOrientationPatient (0020,0037): row then column direction cosines
 * @param seriesDescription SeriesDescription (0008,103E)
 */
public record DicomAttributes(String studyUid, String seriesUid, String sopClassUid, String sopInstanceUid,
    List<String> imageType, Integer instanceNumber, double[] position, double[] orientation,
    String seriesDescription) {

  public static final DicomAttributes NONE = new DicomAttributes("", "", "", "", List.of(), null, null, null, "");

  public DicomAttributes {
    imageType = List.copyOf(imageType);
  }
}
