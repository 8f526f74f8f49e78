package org.ctnet.dicom;

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

  /** |normal·z| from which a slice counts as axial (about 37° of tilt at most). */
  public static final double AXIAL_MIN_COSINE = 0.8;

  /** The slice normal: row direction × column direction; z when the file has no orientation. */
  public static double[] normal(double[] orientation) {
    if (orientation == null) {
      return new double[] {0, 0, 1};
    }
    double[] r = {orientation[0], orientation[1], orientation[2]};
    double[] c = {orientation[3], orientation[4], orientation[5]};
    double[] n = {r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]};
    double length = Math.sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    return length == 0 ? new double[] {0, 0, 1} : new double[] {n[0] / length, n[1] / length, n[2] / length};
  }

  /** Whether this image is an axial slice (true when it has no orientation to say otherwise). */
  public boolean axial() {
    return orientation == null || Math.abs(normal(orientation)[2]) >= AXIAL_MIN_COSINE;
  }
}
