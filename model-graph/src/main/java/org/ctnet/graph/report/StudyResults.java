package org.ctnet.graph.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ctnet.dicom.DicomReader;
import org.ctnet.dicom.DicomFormatException;
import org.ctnet.dicom.StudyContext;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.report.ResultObjects;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.scan.ScanScorer;
import org.ctnet.graph.scan.Series;
import org.ctnet.graph.scan.SeriesAssembler;

/**
 * A study's files to DICOM results: series assembled (what is left out keeps its reason), each
 * series scored and its top slices explained, one SR (and captures) per scored series, or one SR
 * saying why nothing could be scored.
 */
public final class StudyResults {
  private StudyResults() {}

  /** Explains a batch of model inputs for the given classes (a session, or a server's scheduler). */
  @FunctionalInterface
  public interface Explainer {
    Explanation explain(float[] batch, int n, int[] classes);
  }

  public record Outcome(List<ResultObjects.Written> written, List<String> verdicts) {}

  /**
   * @param studyUid the study's UID
   * @param studyContext the study's Patient/Study elements when none of its files can give them (a
   *     study without CT images: from the PACS' search answer)
   */
  public static Outcome score(ScanScorer scorer, Predictor model, Explainer explainer, String studyUid,
      StudyContext studyContext, List<SeriesAssembler.Input> files, List<SeriesAssembler.Skipped> leftOut,
      CamMethod preferred, ResultObjects.Settings settings, long maxPixels) {
    CamMethod method = model.camMethods().contains(preferred) ? preferred : model.camMethods().get(0);
    SeriesAssembler.Assembly assembly = SeriesAssembler.assemble(files, maxPixels);
    List<SeriesAssembler.Skipped> skipped = new ArrayList<>(leftOut);
    skipped.addAll(assembly.skipped());
    List<ResultObjects.Written> written = new ArrayList<>();
    List<String> verdicts = new ArrayList<>();
    for (Series series : assembly.series()) {
      ScanScorer.ScanResult result;
      try {
        result = scorer.score(series, maxPixels, skipped);
      } catch (IllegalArgumentException noReadableSlice) {
        skipped.add(new SeriesAssembler.Skipped("series " + series.seriesUid(), "no slice could be decoded"));
        continue;
      }
      Explanation explained = explainTop(model, explainer, result);
      ResultObjects.Written w = ResultObjects.forScan(result, series, model.assets(), explained, method, skipped,
          settings);
      written.add(w);
      verdicts.add(String.format(Locale.ROOT, "%s P=%.4f", w.verdict(), result.probability()));
    }
    if (written.isEmpty()) {
      StudyContext fromFiles = context(files);
      written.add(ResultObjects.unscored(fromFiles.elements().isEmpty() ? studyContext : fromFiles, studyUid, skipped,
          settings));
      verdicts.add("not scored");
    }
    return new Outcome(written, verdicts);
  }

  /** The top slices explained for the positive class (what the captures show). */
  static Explanation explainTop(Predictor model, Explainer explainer, ScanScorer.ScanResult r) {
    int n = r.explainedCount();
    int[] classes = new int[n];
    java.util.Arrays.fill(classes, model.assets().positiveClass());
    return explainer.explain(r.explainedBatch(), n, classes);
  }

  private static StudyContext context(List<SeriesAssembler.Input> files) {
    for (SeriesAssembler.Input f : files) {
      try {
        return DicomReader.header(f.data()).context();
      } catch (DicomFormatException e) {
        // try the next file
      }
    }
    return StudyContext.EMPTY;
  }
}
