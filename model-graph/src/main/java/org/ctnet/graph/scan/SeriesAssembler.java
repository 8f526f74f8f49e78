package org.ctnet.graph.scan;

import org.ctnet.dicom.DicomHeader;
import org.ctnet.graph.preprocess.DicomDecoding;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ctnet.dicom.DicomAttributes;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.preprocess.ImageDecodeException;

/**
 * Turns a bag of DICOM files into CT axial series: groups by study and series UID, keeps CT image
 * objects, drops localisers/scouts, non-axial reconstructions and files that are not images, and
 * orders each series along its slice normal (ImagePositionPatient · (row × column)), then by
 * InstanceNumber. Everything dropped is reported with its reason; nothing is dropped silently. Only
 * headers are read here; files whose pixels turn out unreadable are reported when scored.
 */
public final class SeriesAssembler {
  /** |normal · z| below this is not an axial series (coronal and sagittal reformats are ~0). */
  static final double AXIAL_MIN_COSINE = DicomAttributes.AXIAL_MIN_COSINE;

  private SeriesAssembler() {}

  /** A file to assemble: its name (for reports) and bytes. */
  public record Input(String name, byte[] data) {}

  /** A file (or series) left out, and why. */
  public record Skipped(String source, String reason) {}

  /** The series found and what was left out. */
  public record Assembly(List<Series> series, List<Skipped> skipped) {}

  /**
   * @param maxPixels most pixels (all frames) one file may declare; larger files are skipped with
   *     their reason, never decoded
   */
  public static Assembly assemble(List<Input> files, long maxPixels) {
    List<Skipped> skipped = new ArrayList<>();
    Map<String, List<SeriesSlice>> bySeries = new LinkedHashMap<>();
    Map<String, DicomAttributes> firstOf = new LinkedHashMap<>();
    for (Input file : files) {
      if (!DicomReader.looksLikeDicom(file.data())) {
        skipped.add(new Skipped(file.name(), "not a DICOM file"));
        continue;
      }
      DicomHeader header;
      try {
        header = DicomDecoding.header(file.data());
      } catch (ImageDecodeException e) {
        skipped.add(new Skipped(file.name(), e.getMessage()));
        continue;
      }
      DicomAttributes a = header.attributes();
      String why = whyNotAnAxialCtImage(header);
      if (why == null && header.geometry().pixels() > maxPixels) {
        why = "DICOM has " + header.geometry().rows() + "x" + header.geometry().columns() + "x"
            + header.geometry().frames() + " pixels, more than the " + maxPixels + " allowed";
      }
      if (why != null) {
        skipped.add(new Skipped(file.name(), why));
        continue;
      }
      String key = a.studyUid() + "/" + a.seriesUid();
      firstOf.putIfAbsent(key, a);
      double[] normal = normal(a.orientation());
      int frames = header.geometry().frames();
      for (int f = 0; f < frames; f++) {
        double position = a.position() != null ? dot(a.position(), normal) + f * 1e-3
            : (a.instanceNumber() != null ? a.instanceNumber() : 0) + f * 1e-3;
        String source = frames > 1 ? file.name() + "#" + f : file.name();
        bySeries.computeIfAbsent(key, k -> new ArrayList<>()).add(new SeriesSlice(source, file.data(), header, f, position));
      }
    }
    List<Series> series = new ArrayList<>();
    for (var entry : bySeries.entrySet()) {
      DicomAttributes a = firstOf.get(entry.getKey());
      List<SeriesSlice> slices = new ArrayList<>(entry.getValue());
      slices.sort(Comparator.comparingDouble(SeriesSlice::position)
          .thenComparing(s -> instanceNumber(s.header().attributes()))
          .thenComparing(SeriesSlice::source));
      series.add(new Series(a.studyUid(), a.seriesUid(), a.seriesDescription(), slices));
    }
    return new Assembly(series, skipped);
  }

  /** Null for a CT axial image; otherwise the reason it is left out. */
  static String whyNotAnAxialCtImage(DicomHeader header) {
    DicomAttributes a = header.attributes();
    if (!header.hasPixels()) {
      return "not an image (no pixel data)";
    }
    if (!header.modality().isEmpty() && !header.modality().equalsIgnoreCase("CT")) {
      return "modality " + header.modality() + ", not CT";
    }
    for (String type : a.imageType()) {
      String t = type.strip().toUpperCase(Locale.ROOT);
      if (t.equals("LOCALIZER") || t.equals("SCOUT") || t.equals("TOPOGRAM")) {
        return "a localiser (ImageType " + String.join("\\", a.imageType()) + ")";
      }
    }
    if (a.orientation() != null && Math.abs(normal(a.orientation())[2]) < AXIAL_MIN_COSINE) {
      return "not an axial slice (ImageOrientationPatient " + java.util.Arrays.toString(a.orientation()) + ")";
    }
    return null;
  }

  private static int instanceNumber(DicomAttributes a) {
    Integer n = a.instanceNumber();
    return n == null ? Integer.MAX_VALUE : n;
  }

  /** The slice normal (see {@link DicomAttributes#normal}). */
  static double[] normal(double[] orientation) {
    return DicomAttributes.normal(orientation);
  }

  private static double dot(double[] a, double[] b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  }
}
