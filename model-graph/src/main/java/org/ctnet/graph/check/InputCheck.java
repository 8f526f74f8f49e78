package org.ctnet.graph.check;

import org.ctnet.graph.preprocess.DicomDecoding;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ctnet.dicom.DicomImage;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.preprocess.GreyImage;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.LungField;

/**
 * Checks, before the model, that an image is the kind of image the model was validated on: an axial
 * chest CT slice through the lungs, shown in a lung window, large enough. Classic image statistics on
 * the model input (no model), each failed check a named {@link Reason}. The label is never changed by a
 * check: the result rides beside it, or, asked for strictly, refuses the image.
 *
 * <p>The statistics, on the model input (grey levels in [0, 1]) and its lung field ({@link LungField}):
 * <ul>
 *   <li>lung share: the lung field's share of the image. No field, or a share below
 *       {@link #MIN_LUNG_SHARE}: a slice above or below the lungs, a localiser, a non-chest image.
 *   <li>black share: the share of the lung field at grey {@value #BLACK} or below. In a lung window
 *       (W 1500 / L −600) the lungs are mid-grey (air at −1000 HU is 0.23); in a mediastinal or bone
 *       window everything below −160 HU (or −500) is clipped to black, so the lungs are.
 *   <li>lung mean: the mean grey inside the lung field, within [{@link #MIN_LUNG_MEAN},
 *       {@link #MAX_LUNG_MEAN}].
 *   <li>bright tissue: the share of the body outside the lung field (pixels above black) at grey
 *       {@value #BRIGHT} or more: soft tissue and fat are near white in a lung window, mid-grey in a
 *       mediastinal one and dark in a bone window, where only bone stays bright.
 *   <li>size: the image as received, at least {@link #MIN_SIDE} pixels on its shorter side.
 * </ul>
 * The bounds were chosen on the shared sources and on scanner slices rendered in three windows
 * (docs/studies/input-checks: the measured shares).
 */
public final class InputCheck {
  /** A grey level at or below which a pixel counts as clipped black. */
  public static final float BLACK = 0.02f;
  /** Smallest lung-field share of the image for a slice through the lungs. */
  public static final double MIN_LUNG_SHARE = 0.02;
  /** Largest share of the lung field that may be clipped black in a lung window. */
  public static final double MAX_BLACK_SHARE = 0.3;
  /** Bounds of the mean grey level inside the lung field in a lung window. */
  public static final double MIN_LUNG_MEAN = 0.04;
  public static final double MAX_LUNG_MEAN = 0.75;
  /** Grey level from which body tissue counts as bright (soft tissue at 40 HU is 0.93 in a lung window). */
  public static final float BRIGHT = 0.7f;
  /** Smallest share of the body outside the lungs that is bright in a lung window. */
  public static final double MIN_BRIGHT_TISSUE = 0.2;
  /** Shorter side of the received image below which it is too small to judge. */
  public static final int MIN_SIDE = 96;

  /** Why an image cannot be judged. */
  public enum Reason {
    NO_LUNG_FIELD("no lung field found: not a slice through the lungs, or not a chest CT"),
    LUNG_FIELD_TOO_SMALL("the lungs cover too little of the image: a slice at the lung apex or base, or not a chest CT"),
    NOT_A_LUNG_WINDOW("the lungs are clipped to black or too bright: not shown in a lung window"),
    IMAGE_TOO_SMALL("the image is smaller than " + MIN_SIDE + " pixels on a side"),
    NOT_CT("DICOM modality is not CT"),
    NOT_AXIAL("not an axial slice"),
    NO_HOUNSFIELD_CALIBRATION("air is not near -1000 HU: rescale slope/intercept missing or wrong"),
    OUT_OF_DISTRIBUTION("unlike the validation slices of the training sources by the model's own outputs "
        + "(its out-of-distribution score above the threshold fitted at export)");

    private final String meaning;

    Reason(String meaning) {
      this.meaning = meaning;
    }

    /** The reason as it appears in CSV and JSON: lower case, e.g. {@code not_a_lung_window}. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }

    public String meaning() {
      return meaning;
    }
  }

  /**
   * The statistics and the reasons of one image.
   *
   * @param lungShare lung field's share of the image (0 when none is found)
   * @param blackShare share of the lung field clipped to black (NaN without a field)
   * @param lungMean mean grey inside the lung field (NaN without a field)
   * @param brightTissue share of the body outside the lung field that is bright (NaN without a field)
   */
  public record Result(List<Reason> reasons, double lungShare, double blackShare, double lungMean,
      double brightTissue) {
    public Result {
      reasons = List.copyOf(reasons);
    }

    public boolean ok() {
      return reasons.isEmpty();
    }

    /** {@code ok}, or the reasons' codes joined by {@code ;}. */
    public String code() {
      return ok() ? "ok" : String.join(";", reasons.stream().map(Reason::code).toList());
    }

    /** This result with the model's own out-of-distribution flag added when {@code flagged}. */
    public Result withOutOfDistribution(boolean flagged) {
      if (!flagged || reasons.contains(Reason.OUT_OF_DISTRIBUTION)) {
        return this;
      }
      List<Reason> more = new java.util.ArrayList<>(reasons);
      more.add(Reason.OUT_OF_DISTRIBUTION);
      return new Result(more, lungShare, blackShare, lungMean, brightTissue);
    }

    /** This result with more reasons (e.g. from a DICOM header). */
    public Result with(List<Reason> more) {
      List<Reason> all = new ArrayList<>(reasons);
      more.stream().filter(r -> !all.contains(r)).forEach(all::add);
      return new Result(all, lungShare, blackShare, lungMean, brightTissue);
    }
  }

  private InputCheck() {}

  /** Share of a CT slice's pixels that must be air (−1100..−900 HU): outside the body and in the lungs. */
  public static final double MIN_AIR_SHARE = 0.02;

  /** An image decoded as the model sees it, with its checks. */
  public record Checked(float[] input, Result check) {}

  /**
   * Decodes one image with the model's preprocessing and checks it: the image checks on the model
   * input, and for DICOM the header's (modality CT, an axial slice, air near −1000 HU after the rescale).
   */
  public static Checked inspect(byte[] encoded, ImagePreprocessor pre) throws ImageDecodeException {
    int width = pre.preprocessing().width();
    int height = pre.preprocessing().height();
    if (DicomReader.looksLikeDicom(encoded)) {
      DicomImage dicom = DicomDecoding.read(encoded, pre.maxPixels());
      GreyImage windowed = DicomDecoding.windowed(dicom, 0, pre.preprocessing().windowCenter(),
          pre.preprocessing().windowWidth());
      float[] input = pre.toModelInput(windowed);
      Result r = check(grey(input, pre), width, height, dicom.columns(), dicom.rows());
      return new Checked(input, r.with(dicomReasons(dicom)));
    }
    GreyImage image = pre.decode(encoded);
    float[] input = pre.toModelInput(image);
    return new Checked(input, check(grey(input, pre), width, height, image.width(), image.height()));
  }

  /** What a DICOM header and its Hounsfield units say against the model's use. */
  public static List<Reason> dicomReasons(DicomImage dicom) {
    List<Reason> reasons = new ArrayList<>();
    if (!dicom.modality().isEmpty() && !dicom.modality().equalsIgnoreCase("CT")) {
      reasons.add(Reason.NOT_CT);
    }
    if (!dicom.attributes().axial()) {
      reasons.add(Reason.NOT_AXIAL);
    }
    var counts = dicom.valueCounts(0);
    long air = counts.count(v -> dicom.hounsfieldOf(v) >= -1100 && dicom.hounsfieldOf(v) <= -900);
    if ((double) air / counts.total() < MIN_AIR_SHARE) {
      reasons.add(Reason.NO_HOUNSFIELD_CALIBRATION);
    }
    return reasons;
  }

  private static float[] grey(float[] input, ImagePreprocessor pre) {
    return grey(input, pre.preprocessing().channels());
  }

  /** Checks one model input ([H, W, C] flattened) whose received size is unknown (no size check). */
  public static Result checkModelInput(float[] input, int width, int height, int channels) {
    return check(grey(input, channels), width, height, 0, 0);
  }

  private static float[] grey(float[] input, int channels) {
    if (channels == 1) {
      return input;
    }
    float[] g = new float[input.length / channels];
    for (int i = 0; i < g.length; i++) {
      g[i] = input[i * channels];
    }
    return g;
  }

  /**
   * Checks one model input.
   *
   * @param grey the model input's first channel, {@code width × height}, in [0, 1]
   * @param sourceWidth width of the image as received (before resizing), or 0 when unknown
   * @param sourceHeight its height, or 0
   */
  public static Result check(float[] grey, int width, int height, int sourceWidth, int sourceHeight) {
    List<Reason> reasons = new ArrayList<>();
    if (sourceWidth > 0 && sourceHeight > 0 && Math.min(sourceWidth, sourceHeight) < MIN_SIDE) {
      reasons.add(Reason.IMAGE_TOO_SMALL);
    }
    LungField field = LungField.find(grey, width, height);
    if (!field.found()) {
      reasons.add(Reason.NO_LUNG_FIELD);
      return new Result(reasons, 0, Double.NaN, Double.NaN, Double.NaN);
    }
    long inside = 0;
    long black = 0;
    double sum = 0;
    long body = 0;
    long bright = 0;
    for (int i = 0; i < width * height; i++) {
      if (field.mask()[i]) {
        inside++;
        sum += grey[i];
        black += grey[i] <= BLACK ? 1 : 0;
      } else if (grey[i] > BLACK) {
        body++;
        bright += grey[i] >= BRIGHT ? 1 : 0;
      }
    }
    double brightTissue = body == 0 ? 0 : (double) bright / body;
    double share = (double) inside / (width * height);
    double blackShare = (double) black / inside;
    double mean = sum / inside;
    if (share < MIN_LUNG_SHARE) {
      reasons.add(Reason.LUNG_FIELD_TOO_SMALL);
    }
    if (blackShare > MAX_BLACK_SHARE || mean < MIN_LUNG_MEAN || mean > MAX_LUNG_MEAN
        || brightTissue < MIN_BRIGHT_TISSUE) {
      reasons.add(Reason.NOT_A_LUNG_WINDOW);
    }
    return new Result(reasons, share, blackShare, mean, brightTissue);
  }
}
