package org.ctnet.trainer.workflow;

import org.ctnet.trainer.train.HeldOutScores;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.scan.ScanScorer;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.StudyStore;
import org.ctnet.trainer.eval.Bootstrap;
import org.ctnet.trainer.eval.Evaluation;
import org.ctnet.trainer.eval.Report;
import org.ctnet.trainer.eval.EpochRecord;
import org.ctnet.trainer.train.StudyScores;
import org.ctnet.trainer.train.Trainer;

/**
 * The report of a model judged on studies: validation and test studies at the locked scan
 * threshold (intervals resample patients), slice-level figures beside them where slice labels
 * exist, and one page per part with each study's verdict, probability, known label and top slices
 * with their overlays, scored exactly as the server scores a scan.
 */
public final class StudyReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StudyReport() {}

  /** The per-study page of one part, e.g. {@code studies-validation.html}. */
  public static String pageName(String part) {
    return "studies-" + part + ".html";
  }

  public static ModelReport.Result evaluateAndWrite(ModelSession model, Map<String, StudyStore> studyParts,
      Map<String, ImageStore> sliceParts, int bootstrap, List<EpochRecord> history, String modelName, Object details,
      Path reportDir, PrintWriter out) throws IOException {
    Files.createDirectories(reportDir);
    ModelAssets assets = model.assets();
    ModelAssets.ScanDecision scan = assets.effectiveScanDecision();
    List<Evaluation> evaluations = new ArrayList<>();
    Map<String, double[][]> histograms = new LinkedHashMap<>();
    List<String> pages = new ArrayList<>();
    for (var part : studyParts.entrySet()) {
      StudyStore studies = part.getValue();
      if (studies == null || studies.size() == 0) {
        continue;
      }
      StudyScores s = StudyScores.of(model, studies);
      List<String> patients = studies.studies().stream().map(StudyStore.Study::group).toList();
      Evaluation e = Evaluation.of(part.getKey() + " — studies, " + scan.rule().description(), s.probabilities(),
          s.labels(), patients, scan.threshold(), bootstrap, Bootstrap.SEED);
      evaluations.add(e);
      histograms.put(part.getKey() + " studies", new double[][] {s.probabilities(),
          java.util.Arrays.stream(s.labels()).asDoubleStream().toArray()});
      out.println(e.summary());
      writeStudyPage(model, studies, part.getKey(), reportDir.resolve(pageName(part.getKey())));
      pages.add(pageName(part.getKey()));
    }
    for (var part : sliceParts.entrySet()) {
      ImageStore slices = part.getValue();
      if (slices == null || slices.size() == 0) {
        continue;
      }
      HeldOutScores e = HeldOutScores.of(model, slices, 32);
      List<String> groups = slices.dataset().samples().stream().map(x -> x.group()).toList();
      Evaluation evaluation = Evaluation.of(part.getKey() + " — slices", e.positiveScores(), e.labels(), groups,
          assets.decision().threshold(), bootstrap, Bootstrap.SEED);
      evaluations.add(evaluation);
      histograms.put(part.getKey() + " slices", new double[][] {e.positiveScores(),
          java.util.Arrays.stream(e.labels()).asDoubleStream().toArray()});
      out.println(evaluation.summary());
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    JSON.convertValue(details, Map.class).forEach((k, v) -> extra.put(String.valueOf(k), v));
    extra.put("decision", assets.decision());
    extra.put("calibration", assets.calibration());
    extra.put("scan_decision", scan);
    extra.put("labels", assets.labels());
    Report.write(reportDir, "CT-Net evaluation on studies — " + modelName, evaluations, histograms, history, extra);
    out.println("report: " + reportDir.resolve(Report.HTML) + " (per study: " + String.join(", ", pages) + ")");
    return new ModelReport.Result(assets, evaluations);
  }

  /** Each study scored the way the server scores a scan (its cached lung slices), with its top slices explained. */
  private static void writeStudyPage(ModelSession model, StudyStore studies, String part, Path html) throws IOException {
    ScanScorer scorer = new ScanScorer(model);
    List<ScanScorer.ScanResult> results = new ArrayList<>();
    Map<String, String> labels = new LinkedHashMap<>();
    for (int s = 0; s < studies.size(); s++) {
      StudyStore.Study study = studies.study(s);
      List<float[]> inputs = new ArrayList<>();
      for (int j = 0; j < studies.sliceCount(s); j++) {
        inputs.add(studies.slice(s, j));
      }
      results.add(scorer.score(study.name(), study.sliceNames(), inputs, null));
      labels.put(study.name(), study.label());
    }
    ScanReport.write(html, model, results, List.of(), "CT-Net " + part + " studies", labels::get);
  }
}
