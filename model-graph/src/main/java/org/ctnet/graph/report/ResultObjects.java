package org.ctnet.graph.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ctnet.dicom.DicomAttributes;
import org.ctnet.dicom.StudyContext;
import org.ctnet.dicom.objects.Code;
import org.ctnet.dicom.objects.ImageReference;
import org.ctnet.dicom.objects.ResultHeader;
import org.ctnet.dicom.objects.SecondaryCapture;
import org.ctnet.dicom.objects.StructuredReport;
import org.ctnet.dicom.write.DicomOutput;
import org.ctnet.dicom.write.Uids;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.render.HeatmapRenderer;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.LesionMaps;
import org.ctnet.graph.scan.ScanScorer.ScanResult;
import org.ctnet.graph.scan.Series;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.graph.scan.SeriesSlice;

/**
 * A scored scan as DICOM objects for its own study (new series, never touching the source): a
 * Comprehensive SR with the verdict and what it rests on, and Secondary Captures of the top slices
 * with the heatmap (and lesion map) burnt in, plus one picture of the scan's slice strip. Also the SR
 * a study gets when none of its series could be scored.
 */
public final class ResultObjects {
  /** The results' series description: what viewers list, and how a study already answered is recognised. */
  public static final String REPORT_SERIES = "CT-Net AI result (research use, not for diagnosis)";
  public static final String CAPTURE_SERIES = "CT-Net AI heatmaps (research use, not for diagnosis)";
  public static final String SEGMENTATION_SERIES = "CT-Net AI lesion map (research use, not for diagnosis)";
  /** A pixel is lesion in the SEG where its lesion probability is above 0.5, as for the involvement (0..255). */
  static final int LESION_LEVEL = 128;
  public static final String MANUFACTURER = "CT-Net Java";
  public static final String RESEARCH_ONLY = "Research use only, not for diagnosis.";
  /** Series numbers for results: clear of the scanner's usual 1..999. */
  static final int REPORT_SERIES_NUMBER = 9901;
  static final int CAPTURE_SERIES_NUMBER = 9902;
  static final int SEGMENTATION_SERIES_NUMBER = 9903;
  private static final int SCALE = 2;
  private static final int CAPTION = 56;

  /**
   * @param uids where new UIDs come from
   * @param modelName the served model's name
   * @param modelVersion its version
   */
  public record Settings(Uids uids, String modelName, String modelVersion) {
    String software() {
      return ascii(modelName + " " + modelVersion);
    }
  }

  /** The objects written for one study, and what they said. */
  public record Written(List<byte[]> instances, String verdict, String reportSopInstanceUid, Finding finding) {}

  /**
   * What a report said, for other renderings of it (FHIR): the study and series, the verdict, its
   * probability and threshold, the lesion figures (NaN and null without a lesion head).
   */
  public record Finding(String studyUid, String seriesUid, boolean positive, double probability, double threshold,
      double involvement, String severity, String patientId) {}

  private ResultObjects() {}

  /**
   * The results of a scored series.
   *
   * @param explained an explanation of the scan's {@code explainedCount()} top slices (their
   *     model inputs in {@code result.topInputs()}), for the positive class
   * @param leftOut series and files of the study that were not scored, with the reason
   */
  public static Written forScan(ScanResult result, Series series, ModelAssets assets, Explanation explained,
      CamMethod method, List<SeriesAssembler.Skipped> leftOut, Settings settings) {
    SeriesSlice first = series.slices().get(0);
    StudyContext context = first.header().context();
    String studyUid = series.studyUid();
    LocalDateTime now = LocalDateTime.now();
    Map<String, SeriesSlice> bySource = new HashMap<>();
    series.slices().forEach(s -> bySource.put(s.source(), s));
    String verdict = assets.labels().get(result.positive() ? assets.positiveClass() : 0);

    ResultHeader reportHeader = new ResultHeader(context, studyUid, settings.uids().next(), REPORT_SERIES_NUMBER,
        REPORT_SERIES, MANUFACTURER, settings.software(), now);
    StructuredReport sr = new StructuredReport(Code.IMAGING_REPORT)
        .text(Code.COMMENT, RESEARCH_ONLY + " Automated CT-Net result; a radiologist's reading decides.")
        .code(Code.COVID_19, result.positive() ? Code.PRESENT : Code.ABSENT)
        .number(Code.PROBABILITY, result.probability(), Code.NO_UNITS)
        .number(Code.THRESHOLD, result.decision().threshold(), Code.NO_UNITS)
        .text(Code.DECISION_RULE, ascii(result.decision().rule().description()))
        .text(Code.ALGORITHM_NAME, ascii(settings.modelName()))
        .text(Code.ALGORITHM_VERSION, settings.modelVersion());
    if (result.hasInvolvement()) {
      sr.number(Code.LUNG_INVOLVEMENT, 100 * result.involvement(), Code.PERCENT)
          .text(Code.SEVERITY, ascii(result.severity().code() + ": " + result.severity().meaning()));
    }
    sr.text(Code.INPUT_CHECK, result.inputCheck() + " (" + result.usableSlices() + " of " + result.used().length
        + " used slices pass their checks)");
    sr.text(Code.SERIES_SELECTION, selection(series, result, leftOut));
    int n = result.explainedCount();
    for (int i = 0; i < n; i++) {
      sr.image(Code.SOURCE_OF_MEASUREMENT, reference(bySource.get(result.sources().get(result.top()[i]))));
    }
    String reportUid = settings.uids().next();
    List<byte[]> out = new ArrayList<>();
    out.add(DicomOutput.file(sr.dataset(reportHeader.dataset(StructuredReport.COMPREHENSIVE_SR, reportUid, 1, "SR"),
        studyUid)));

    ResultHeader captureHeader = new ResultHeader(context, studyUid, settings.uids().next(), CAPTURE_SERIES_NUMBER,
        CAPTURE_SERIES, MANUFACTURER, settings.software(), now);
    int instance = 1;
    for (int i = 0; i < n; i++) {
      BufferedImage picture = slicePicture(result, assets, explained, method, i, verdict);
      out.add(capture(captureHeader, settings, instance++, picture,
          "Top slice " + (i + 1) + " with " + method.key() + " heatmap" + (explained.prediction().lesion() != null
              ? " and lesion map" : "") + " burnt in. " + RESEARCH_ONLY));
    }
    out.add(capture(captureHeader, settings, instance, stripPicture(result, verdict, settings),
        "Slice probabilities along the scan. " + RESEARCH_ONLY));
    byte[] segmentation = lesionSegmentation(result, bySource, assets, settings, context, studyUid, now);
    if (segmentation != null) {
      out.add(segmentation);
    }
    return new Written(out, verdict, reportUid, new Finding(studyUid, series.seriesUid(), result.positive(),
        result.probability(), result.decision().threshold(), result.hasInvolvement() ? result.involvement() : Double.NaN,
        result.hasInvolvement() ? result.severity().code() : null, context.text(org.ctnet.dicom.Tag.PATIENT_ID)));
  }

  /**
   * The lesion (probability above 0.5) of every used slice that has some, on the source slices'
   * pixels, as one binary SEG; null without a lesion head, when no slice has any, or when the series lacks
   * the geometry a SEG needs (position, orientation, pixel spacing, slice thickness, frame of
   * reference) or is multi-frame.
   */
  private static byte[] lesionSegmentation(ScanResult result, Map<String, SeriesSlice> bySource, ModelAssets assets,
      Settings settings, StudyContext context, String studyUid, LocalDateTime now) {
    if (result.sliceLesionMaps() == null || result.sliceFrames() == null) {
      return null;
    }
    SeriesSlice first = bySource.get(result.sources().get(0));
    var geometry = first.header().geometry();
    StudyContext sliceContext = first.header().context();
    double[] orientation = first.header().attributes().orientation();
    String spacing = sliceContext.text(org.ctnet.dicom.Tag.PIXEL_SPACING);
    String thickness = sliceContext.text(org.ctnet.dicom.Tag.SLICE_THICKNESS);
    String frameOfReference = sliceContext.text(org.ctnet.dicom.Tag.FRAME_OF_REFERENCE_UID);
    if (orientation == null || spacing.isEmpty() || thickness.isEmpty() || frameOfReference.isEmpty()
        || geometry.frames() != 1) {
      return null;
    }
    int h = assets.spec().inputHeight();
    int w = assets.spec().inputWidth();
    List<org.ctnet.dicom.objects.Segmentation.Frame> frames = new ArrayList<>();
    for (int i : result.used()) {
      SeriesSlice slice = bySource.get(result.sources().get(i));
      byte[] map = result.sliceLesionMaps().get(i);
      double[] position = slice.header().attributes().position();
      if (position == null || slice.header().geometry().rows() != geometry.rows()
          || slice.header().geometry().columns() != geometry.columns()) {
        return null;
      }
      byte[] onSource = SourceGrid.project(map, h, w, result.sliceFrames().get(i), geometry.rows(), geometry.columns());
      boolean any = false;
      for (int p = 0; p < onSource.length; p++) {
        onSource[p] = (byte) ((onSource[p] & 0xff) >= LESION_LEVEL ? 1 : 0);
        any |= onSource[p] != 0;
      }
      if (any) {
        frames.add(new org.ctnet.dicom.objects.Segmentation.Frame(reference(slice), position, onSource));
      }
    }
    if (frames.isEmpty()) {
      return null;
    }
    ResultHeader header = new ResultHeader(context, studyUid, settings.uids().next(), SEGMENTATION_SERIES_NUMBER,
        SEGMENTATION_SERIES, MANUFACTURER, settings.software(), now);
    return DicomOutput.file(org.ctnet.dicom.objects.Segmentation.dataset(
        header.dataset(org.ctnet.dicom.objects.Segmentation.SOP_CLASS, settings.uids().next(), 1, "SEG"),
        new org.ctnet.dicom.objects.Segmentation.Segment("Lesion", Code.MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
            Code.LESION, settings.software()),
        new org.ctnet.dicom.objects.Segmentation.Geometry(geometry.rows(), geometry.columns(), orientation, spacing,
            thickness, frameOfReference),
        frames, "CT-Net lesion, p > 0.5. Research use, not for diagnosis."));
  }

  /** The report a study gets when none of its series could be scored: why, per series or file. */
  public static Written unscored(StudyContext context, String studyUid, List<SeriesAssembler.Skipped> leftOut,
      Settings settings) {
    ResultHeader header = new ResultHeader(context, studyUid, settings.uids().next(), REPORT_SERIES_NUMBER,
        REPORT_SERIES, MANUFACTURER, settings.software(), LocalDateTime.now());
    StringBuilder why = new StringBuilder("No series of this study could be scored: no axial CT series with readable "
        + "slices.");
    leftOut.stream().limit(50).forEach(s -> why.append("\n").append(s.source()).append(": ").append(s.reason()));
    StructuredReport sr = new StructuredReport(Code.IMAGING_REPORT)
        .text(Code.COMMENT, RESEARCH_ONLY + " " + why)
        .text(Code.ALGORITHM_NAME, ascii(settings.modelName()))
        .text(Code.ALGORITHM_VERSION, settings.modelVersion());
    String uid = settings.uids().next();
    return new Written(List.of(DicomOutput.file(sr.dataset(header.dataset(StructuredReport.COMPREHENSIVE_SR, uid, 1,
        "SR"), studyUid))), "not scored", uid, null);
  }

  private static String selection(Series series, ScanResult result, List<SeriesAssembler.Skipped> leftOut) {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "Scored series %s (%s): %d slices, %d used.",
        series.seriesUid(), ascii(series.description()), result.sources().size(), result.used().length));
    if (!leftOut.isEmpty()) {
      s.append(" Left out:");
      leftOut.stream().limit(50).forEach(k -> s.append("\n").append(ascii(k.source())).append(": ")
          .append(ascii(k.reason())));
    }
    return s.toString();
  }

  private static ImageReference reference(SeriesSlice slice) {
    DicomAttributes a = slice.header().attributes();
    return new ImageReference(a.seriesUid(), a.sopClassUid(), a.sopInstanceUid());
  }

  private static byte[] capture(ResultHeader header, Settings settings, int instance, BufferedImage picture,
      String derivation) {
    int w = picture.getWidth();
    int h = picture.getHeight();
    int[] rgb = picture.getRGB(0, 0, w, h, null, 0, w);
    return DicomOutput.file(SecondaryCapture.dataset(
        header.dataset(SecondaryCapture.SOP_CLASS, settings.uids().next(), instance, "OT"), w, h, rgb, derivation));
  }

  /** One top slice: heatmap (and lesion map) panels under a caption. */
  private static BufferedImage slicePicture(ScanResult r, ModelAssets assets, Explanation e, CamMethod method, int i,
      String verdict) {
    int h = assets.spec().inputHeight();
    int w = assets.spec().inputWidth();
    int channels = assets.spec().inputChannels();
    float[] input = r.topInputs().get(i);
    float[] grey = new float[h * w];
    for (int p = 0; p < grey.length; p++) {
      grey[p] = input[p * channels];
    }
    List<BufferedImage> panels = new ArrayList<>();
    panels.add(HeatmapRenderer.blend(grey, e.maps().get(method).heatmap()[i], w, h, 0.5));
    LesionMaps lesion = e.prediction().lesion();
    if (lesion != null) {
      panels.add(HeatmapRenderer.lesionBlend(grey, lesion.lesionMaps()[i], w, h, 0.6));
    }
    int slice = r.top()[i];
    String line1 = String.format(Locale.ROOT, "CT-Net: %s  P(scan)=%.3f  slice %d/%d  P(slice)=%.3f", verdict,
        r.probability(), slice + 1, r.sources().size(), r.sliceProbabilities()[slice]);
    String line2 = method.key() + " heatmap" + (lesion != null ? String.format(Locale.ROOT,
        " | lesion map, slice involvement %.1f%%", 100 * lesion.involvement()[i]) : "") + " | RESEARCH USE ONLY";
    BufferedImage out = new BufferedImage(panels.size() * w * SCALE, h * SCALE + CAPTION, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(out);
    for (int k = 0; k < panels.size(); k++) {
      g.drawImage(panels.get(k), k * w * SCALE, CAPTION, w * SCALE, h * SCALE, null);
    }
    caption(g, line1, line2);
    g.dispose();
    return out;
  }

  /** The scan's slices as bars of their probability, the top slices marked, the threshold drawn. */
  private static BufferedImage stripPicture(ScanResult r, String verdict, Settings settings) {
    int n = r.sources().size();
    int bar = Math.max(2, Math.min(8, 1000 / Math.max(1, n)));
    int width = Math.max(640, n * bar + 20);
    int plot = 240;
    BufferedImage out = new BufferedImage(width, plot + CAPTION + 10, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(out);
    java.util.Set<Integer> top = new java.util.HashSet<>();
    for (int t : r.top()) {
      top.add(t);
    }
    for (int i = 0; i < n; i++) {
      int height = (int) Math.round(r.sliceProbabilities()[i] * plot);
      g.setColor(top.contains(i) ? new Color(0xff5050) : r.lung()[i] ? new Color(0x9fb8d8) : new Color(0x555555));
      g.fillRect(10 + i * bar, CAPTION + plot - height, Math.max(1, bar - 1), height);
    }
    int y = CAPTION + plot - (int) Math.round(r.decision().threshold() * plot);
    g.setColor(Color.YELLOW);
    g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
    g.drawLine(10, y, 10 + n * bar, y);
    caption(g, String.format(Locale.ROOT, "CT-Net: %s  P(scan)=%.3f  threshold %.3f  (%s)", verdict, r.probability(),
        r.decision().threshold(), settings.software()), "Slice probabilities, top slices red, slices without lung grey"
            + " | RESEARCH USE ONLY");
    g.dispose();
    return out;
  }

  private static Graphics2D canvas(BufferedImage image) {
    Graphics2D g = image.createGraphics();
    g.setColor(Color.BLACK);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    return g;
  }

  private static void caption(Graphics2D g, String line1, String line2) {
    g.setColor(Color.WHITE);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.drawString(line1, 8, 22);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    g.drawString(line2, 8, 44);
  }

  /** Text written by this project is ASCII (descriptions and file names may not be). */
  private static String ascii(String s) {
    return s.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
