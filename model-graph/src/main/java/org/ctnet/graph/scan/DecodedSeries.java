package org.ctnet.graph.scan;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.ctnet.dicom.DicomImage;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.preprocess.BodyFrame;
import org.ctnet.graph.preprocess.DicomDecoding;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;

/**
 * A DICOM series turned into model inputs the one way scoring and training share: each slice
 * through the lung window and the model's preprocessing, with whether it shows lung
 * ({@link LungSlices}), its header checks and its body frame. Slices whose pixels cannot be decoded
 * are left out and named. Slices given as image files (PNG, JPEG...) decode the same way, without HU:
 * their {@code lung}, {@code checks} and {@code frames} are null.
 *
 * @param sources the decoded slices' files (and frames), in series order
 */
public record DecodedSeries(List<String> sources, List<float[]> inputs, boolean[] lung,
    List<InputCheck.Result> checks, List<BodyFrame> frames) {

  public int size() {
    return inputs.size();
  }

  /** Indices of the slices that show lung, or every slice when none does (HU unknown, a series above the lungs). */
  public int[] lungSlices() {
    return LungSlices.used(lung, inputs.size());
  }

  /** Image files in the order given, each through the model's preprocessing; undecodable ones named in {@code unreadable}. */
  public static DecodedSeries ofImages(List<SeriesAssembler.Input> images, Preprocessing pre, long maxPixels,
      List<SeriesAssembler.Skipped> unreadable) {
    ImagePreprocessor preprocessor = new ImagePreprocessor(pre, maxPixels);
    List<float[]> inputs = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    for (SeriesAssembler.Input f : images) {
      try {
        inputs.add(preprocessor.toModelInput(f.data()));
        sources.add(f.name());
      } catch (ImageDecodeException e) {
        unreadable.add(new SeriesAssembler.Skipped(f.name(), e.getMessage()));
      }
    }
    return new DecodedSeries(List.copyOf(sources), List.copyOf(inputs), null, null, null);
  }

  /** Decodes {@code series} slice by slice, in parallel; undecodable slices are added to {@code unreadable}. */
  public static DecodedSeries decode(Series series, Preprocessing pre, long maxPixels,
      List<SeriesAssembler.Skipped> unreadable) {
    ImagePreprocessor preprocessor = new ImagePreprocessor(pre, Long.MAX_VALUE);
    List<SeriesSlice> slices = series.slices();
    float[][] inputs = new float[slices.size()][];
    boolean[] lung = new boolean[slices.size()];
    String[] errors = new String[slices.size()];
    BodyFrame[] frames = new BodyFrame[slices.size()];
    @SuppressWarnings("unchecked")
    List<InputCheck.Reason>[] header = new List[slices.size()];
    // Decoding, windowing and resizing dominate a scan's time: slices in parallel (a multi-frame
    // file is decoded once per frame then, which costs memory only for such rare files).
    IntStream.range(0, slices.size()).parallel().forEach(i -> {
      SeriesSlice s = slices.get(i);
      try {
        DicomImage image = s.decode(maxPixels);
        lung[i] = LungSlices.showsLung(image, s.frame());
        header[i] = InputCheck.dicomReasons(image);
        var grey = DicomDecoding.windowed(image, s.frame(), pre.windowCenter(), pre.windowWidth());
        frames[i] = preprocessor.frame(grey);
        inputs[i] = preprocessor.toModelInput(grey, frames[i]);
      } catch (ImageDecodeException e) {
        errors[i] = e.getMessage();
      }
    });
    List<float[]> kept = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    List<Boolean> keptLung = new ArrayList<>();
    List<InputCheck.Result> checks = new ArrayList<>();
    List<BodyFrame> keptFrames = new ArrayList<>();
    for (int i = 0; i < slices.size(); i++) {
      if (errors[i] != null) {
        unreadable.add(new SeriesAssembler.Skipped(slices.get(i).source(), errors[i]));
      } else {
        kept.add(inputs[i]);
        keptFrames.add(frames[i]);
        sources.add(slices.get(i).source());
        keptLung.add(lung[i]);
        // HU are known: the lung window is the project's own, so the header and HU checks are what count.
        checks.add(new InputCheck.Result(header[i], Double.NaN, Double.NaN, Double.NaN, Double.NaN));
      }
    }
    boolean[] shows = new boolean[kept.size()];
    for (int i = 0; i < shows.length; i++) {
      shows[i] = keptLung.get(i);
    }
    return new DecodedSeries(List.copyOf(sources), List.copyOf(kept), shows, List.copyOf(checks),
        List.copyOf(keptFrames));
  }
}
