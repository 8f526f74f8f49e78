package org.ctnet.dicom;

import org.ctnet.dicom.DicomHeader;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.dicom.objects.Code;
import org.ctnet.dicom.objects.ImageReference;
import org.ctnet.dicom.objects.ResultHeader;
import org.ctnet.dicom.objects.SecondaryCapture;
import org.ctnet.dicom.objects.Segmentation;
import org.ctnet.dicom.objects.StructuredReport;
import org.ctnet.dicom.testing.DicomTools;
import org.ctnet.dicom.write.DicomOutput;
import org.ctnet.dicom.write.Uids;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Result objects pass dicom3tools' validator, DCMTK reads them back, and the study is the source's. */
class ResultObjectsTest {
  @TempDir Path dir;

  /** A source study whose patient name is Latin-1 (ISO_IR 100), to see the character set carried over. */
  static StudyContext latin1Study() {
    Map<Integer, StudyContext.Element> e = new LinkedHashMap<>();
    e.put(Tag.SPECIFIC_CHARACTER_SET, new StudyContext.Element("CS", "ISO_IR 100".getBytes(StandardCharsets.US_ASCII)));
    e.put(Tag.STUDY_DATE, new StudyContext.Element("DA", "20200315".getBytes(StandardCharsets.US_ASCII)));
    e.put(Tag.PATIENT_NAME, new StudyContext.Element("PN", "Müller^Jürgen".getBytes(StandardCharsets.ISO_8859_1)));
    e.put(Tag.PATIENT_ID, new StudyContext.Element("LO", "PID-4711".getBytes(StandardCharsets.US_ASCII)));
    e.put(Tag.FRAME_OF_REFERENCE_UID, new StudyContext.Element("UI", "1.2.3.4".getBytes(StandardCharsets.US_ASCII)));
    return new StudyContext(e);
  }

  static ResultHeader header(Uids uids) {
    return new ResultHeader(latin1Study(), "1.2.826.0.1.3680043.8.498.1", uids.next(), 9901,
        "CT-Net results (research use)", "CT-Net Java", "ctnet-lesion 1", LocalDateTime.of(2026, 12, 6, 5, 30, 0));
  }

  @Test
  void aStructuredReportValidatesAndReadsBack() throws Exception {
    Uids uids = new Uids(Uids.UUID_ROOT);
    ResultHeader h = header(uids);
    ImageReference slice = new ImageReference("1.2.3.9", "1.2.840.10008.5.1.4.1.1.2", "1.2.3.9.17");
    String sop = uids.next();
    StructuredReport sr = new StructuredReport(Code.IMAGING_REPORT)
        .text(Code.COMMENT, "Research use only, not for diagnosis.")
        .code(Code.COVID_19, Code.PRESENT)
        .number(Code.PROBABILITY, 0.8731, Code.NO_UNITS)
        .number(Code.LUNG_INVOLVEMENT, 12.5, Code.PERCENT)
        .text(Code.ALGORITHM_NAME, "ctnet-lesion")
        .image(Code.SOURCE_OF_MEASUREMENT, slice);
    byte[] file = DicomOutput.file(sr.dataset(h.dataset(StructuredReport.COMPREHENSIVE_SR, sop, 1, "SR"),
        h.studyUid()));
    Path written = DicomTools.assertValid(dir, "sr.dcm", file);
    String dump = DicomTools.dsrdump(written).output();
    assertTrue(dump.contains("Research use only, not for diagnosis."), dump);
    assertTrue(dump.contains("\"0.8731\""), dump);
    assertTrue(dump.contains("1.2.3.9.17"), dump);
    assertTrue(dump.contains("Müller^Jürgen"), "the Latin-1 name reads back as such:\n" + dump);
    DicomHeader back = DicomReader.header(file);
    assertEquals(h.studyUid(), back.attributes().studyUid());
    assertEquals("PID-4711", back.context().text(Tag.PATIENT_ID));
    assertEquals("SR", back.modality());
  }

  @Test
  void aSecondaryCaptureValidatesAndKeepsItsPixels() throws Exception {
    Uids uids = new Uids("1.2.826.0.1.3680043.10.1234");
    ResultHeader h = header(uids);
    int w = 64;
    int hgt = 48;
    int[] rgb = new int[w * hgt];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (i % w) * 4 << 16 | (i / w) * 5 << 8 | 0x40;
    }
    String sop = uids.next();
    assertTrue(sop.startsWith("1.2.826.0.1.3680043.10.1234.") && sop.length() <= 64, sop);
    byte[] file = DicomOutput.file(SecondaryCapture.dataset(h.dataset(SecondaryCapture.SOP_CLASS, sop, 1, "OT"),
        w, hgt, rgb, "CT slice with Grad-CAM++ heatmap burnt in"));
    Path written = DicomTools.assertValid(dir, "sc.dcm", file);
    String dump = DicomTools.dcmdump(written).output();
    assertTrue(dump.contains("(0028,0004) CS [RGB]"), dump);
    assertTrue(dump.contains("(0020,000d) UI [" + h.studyUid() + "]"), dump);
  }

  @Test
  void aBinarySegmentationValidatesReferencesItsSourcesAndPacksItsBits() throws Exception {
    Uids uids = new Uids(Uids.UUID_ROOT);
    ResultHeader h = header(uids);
    int rows = 32;
    int cols = 40;
    List<Segmentation.Frame> frames = new java.util.ArrayList<>();
    for (int f = 0; f < 3; f++) {
      byte[] v = new byte[rows * cols];
      for (int i = 0; i < v.length; i++) {
        v[i] = (byte) ((i % cols) < 10 * (f + 1) ? 1 : 0); // frame f: the first 10(f+1) columns
      }
      frames.add(new Segmentation.Frame(new ImageReference("1.2.3.9", "1.2.840.10008.5.1.4.1.1.2", "1.2.3.9." + f),
          new double[] {-100, -100, -5.0 * f}, v));
    }
    String sop = uids.next();
    byte[] file = DicomOutput.file(Segmentation.dataset(h.dataset(Segmentation.SOP_CLASS, sop, 1, "SEG"),
        new Segmentation.Segment("Lesion", Code.MORPHOLOGICALLY_ABNORMAL_STRUCTURE, Code.LESION, "ctnet-lesion 1"),
        new Segmentation.Geometry(rows, cols, new double[] {1, 0, 0, 0, 1, 0}, "0.7\\0.7", "5", "1.2.3.4"), frames,
        "Lesion probability (research use)"));
    Path written = DicomTools.assertValid(dir, "seg.dcm", file);
    String dump = DicomTools.dcmdump(written).output();
    assertTrue(dump.contains("(0062,0001) CS [BINARY]"), dump);
    // The packed bits, read back independently: DCMTK's dump of the pixel data as bytes.
    int[] ones = new int[3];
    var data = java.nio.file.Files.readAllBytes(written);
    byte[] pixels = java.util.Arrays.copyOfRange(data, data.length - (3 * rows * cols + 15) / 16 * 2, data.length);
    for (int bit = 0; bit < 3 * rows * cols; bit++) {
      if ((pixels[bit >>> 3] >> (bit & 7) & 1) == 1) {
        ones[bit / (rows * cols)]++;
      }
    }
    assertEquals(List.of(10 * rows, 20 * rows, 30 * rows), List.of(ones[0], ones[1], ones[2]));
    assertTrue(dump.contains("(0028,0008) IS [3]"), dump);
    assertTrue(dump.contains("1.2.3.9.2"), dump);
  }

  @Test
  void valuesLongerThanTheirVrAllowsAreRefusedBeforeWriting() {
    var d = new org.ctnet.dicom.write.DicomDataset();
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> d.text(Tag.SERIES_DESCRIPTION, "LO", "x".repeat(65)));
    assertTrue(e.getMessage().contains("LO values are at most 64"), e.getMessage());
    d.text(Tag.SERIES_DESCRIPTION, "LO", "x".repeat(64));
    d.texts(Tag.PIXEL_SPACING, "DS", "0.12345678901234", "0.7"); // 16 characters each at most
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> d.text(Tag.MODALITY, "CS", "é"));
  }

  @Test
  void uidRootsAreChecked() {
    assertTrue(new Uids(Uids.UUID_ROOT).next().matches("2\\.25\\.[1-9][0-9]*"));
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new Uids("1.02.3"));
    assertTrue(e.getMessage().contains("leading zeros"), e.getMessage());
  }
}
