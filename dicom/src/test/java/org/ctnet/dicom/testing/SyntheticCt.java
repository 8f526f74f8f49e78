package org.ctnet.dicom.testing;

import java.util.ArrayList;
import java.util.List;
import org.ctnet.dicom.Tag;
import org.ctnet.dicom.write.DicomDataset;
import org.ctnet.dicom.write.DicomOutput;
import org.ctnet.dicom.write.Uids;

/**
 * A synthetic CT series as Part 10 files a PACS accepts: a chest (body, two lungs at −800 HU, soft
 * tissue) of {@code side}² pixels per slice, with patient identifiers the test chooses (to look for
 * them where they must not appear).
 */
public final class SyntheticCt {
  private SyntheticCt() {}

  public record Patient(String name, String id, String birthDate, String accession) {}

  static final short LUNG_HU = -800;

  /**
   * A drawn chest in HU, {@code side}² pixels: air outside an elliptic body of soft tissue (40 HU)
   * and, when {@code withLungs}, two round lungs at −800 HU.
   */
  public static short[] chest(int side, boolean withLungs) {
    short[] hu = new short[side * side];
    double c = side / 2.0;
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        double body = Math.hypot(x - c, (y - c) * 1.3) / (0.45 * side);
        double left = Math.hypot(x - c * 0.6, y - c) / (0.17 * side);
        double right = Math.hypot(x - c * 1.4, y - c) / (0.17 * side);
        hu[y * side + x] = (short) (body > 1 ? -1000 : withLungs && (left < 1 || right < 1) ? LUNG_HU : 40);
      }
    }
    return hu;
  }

  public static List<byte[]> series(Patient patient, String studyUid, String seriesUid, int slices, int side) {
    Uids uids = new Uids(Uids.UUID_ROOT);
    String frame = uids.next();
    List<byte[]> out = new ArrayList<>();
    for (int k = 0; k < slices; k++) {
      short[] chest = chest(side, true);
      byte[] pixels = new byte[side * side * 2];
      for (int i = 0; i < chest.length; i++) {
        int x = i % side;
        int y = i / side;
        // Lung texture that differs slice to slice, so slices score differently.
        int hu = chest[i] == LUNG_HU ? LUNG_HU + (k * 7 + x * 3 + y) % 40 : chest[i];
        int stored = hu + 1024;
        pixels[2 * i] = (byte) stored;
        pixels[2 * i + 1] = (byte) (stored >>> 8);
      }
      DicomDataset d = new DicomDataset()
          .text(Tag.SPECIFIC_CHARACTER_SET, "CS", "ISO_IR 100")
          .texts(Tag.IMAGE_TYPE, "CS", "ORIGINAL", "PRIMARY", "AXIAL")
          .text(Tag.SOP_CLASS_UID, "UI", "1.2.840.10008.5.1.4.1.1.2")
          .text(Tag.SOP_INSTANCE_UID, "UI", uids.next())
          .text(Tag.STUDY_DATE, "DA", "20200401")
          .text(Tag.STUDY_TIME, "TM", "101500")
          .text(Tag.ACCESSION_NUMBER, "SH", patient.accession())
          .text(Tag.MODALITY, "CS", "CT")
          .text(Tag.MANUFACTURER, "LO", "Synthetic")
          .empty(Tag.REFERRING_PHYSICIAN_NAME, "PN")
          .text(Tag.SERIES_DESCRIPTION, "LO", "Chest synthetic")
          .text(Tag.PATIENT_NAME, "PN", patient.name())
          .text(Tag.PATIENT_ID, "LO", patient.id())
          .text(Tag.PATIENT_BIRTH_DATE, "DA", patient.birthDate())
          .text(Tag.PATIENT_SEX, "CS", "O")
          .text(Tag.SLICE_THICKNESS, "DS", "5")
          .text(Tag.STUDY_INSTANCE_UID, "UI", studyUid)
          .text(Tag.SERIES_INSTANCE_UID, "UI", seriesUid)
          .text(Tag.STUDY_ID, "SH", "1")
          .text(Tag.SERIES_NUMBER, "IS", "2")
          .text(Tag.INSTANCE_NUMBER, "IS", Integer.toString(k + 1))
          .texts(0x00200032, "DS", "-100", "-100", Integer.toString(-5 * k))
          .texts(0x00200037, "DS", "1", "0", "0", "0", "1", "0")
          .text(Tag.FRAME_OF_REFERENCE_UID, "UI", frame)
          .us(Tag.SAMPLES_PER_PIXEL, 1)
          .text(Tag.PHOTOMETRIC_INTERPRETATION, "CS", "MONOCHROME2")
          .us(Tag.ROWS, side)
          .us(Tag.COLUMNS, side)
          .texts(Tag.PIXEL_SPACING, "DS", "0.7", "0.7")
          .us(Tag.BITS_ALLOCATED, 16)
          .us(Tag.BITS_STORED, 12)
          .us(Tag.HIGH_BIT, 11)
          .us(Tag.PIXEL_REPRESENTATION, 0)
          .text(0x00281052, "DS", "-1024")
          .text(0x00281053, "DS", "1")
          .bytes(Tag.PIXEL_DATA, "OW", pixels);
      out.add(DicomOutput.file(d));
    }
    return out;
  }
}
