package org.ctnet.trainer.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.dicom.StudyContext;
import org.ctnet.dicom.Tag;
import org.ctnet.dicom.web.DicomJson;
import org.ctnet.dicom.web.DicomWebClient;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.report.ResultObjects;
import org.ctnet.graph.report.StudyResults;
import org.ctnet.graph.scan.ScanScorer;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.scan.SeriesAssembler;

/**
 * Takes CT studies from a PACS and puts results back: QIDO-RS finds the studies, WADO-RS brings their
 * CT series, each assembled series is scored, and its SR and Secondary Captures are stored with
 * STOW-RS into the same study. A study that already holds a CT-Net report is skipped unless forced,
 * so an interrupted run resumes where it stopped. Output names studies by UID only.
 */
public final class PacsPull {
  /** Largest instance taken from the PACS (a multi-frame enhanced CT can be large). */
  static final long MAX_INSTANCE_BYTES = 1L << 30;
  static final CamMethod METHOD = CamMethod.GRAD_CAM_PLUS_PLUS;

  /** What to pull: one study, or CT studies since a date (YYYYMMDD), at most {@code limit}. */
  public record Query(String studyUid, String since, int limit) {}

  /** A study's outcome: its verdicts (one per scored series), or why it was skipped. */
  public record StudyOutcome(String studyUid, List<String> verdicts, int stored, String skipped) {}

  private final DicomWebClient pacs;
  private final Predictor session;
  private final ResultObjects.Settings settings;
  private final PrintWriter out;
  /** Where each study's FHIR Bundle goes, or null. */
  private final java.nio.file.Path fhirOut;

  public PacsPull(DicomWebClient pacs, Predictor session, ResultObjects.Settings settings, PrintWriter out,
      java.nio.file.Path fhirOut) {
    this.pacs = pacs;
    this.session = session;
    this.settings = settings;
    this.out = out;
    this.fhirOut = fhirOut;
  }

  public List<StudyOutcome> run(Query query, boolean force) throws IOException {
    Map<String, String> q = new LinkedHashMap<>();
    if (query.studyUid() != null) {
      q.put("StudyInstanceUID", query.studyUid());
    } else {
      q.put("ModalitiesInStudy", "CT");
      if (query.since() != null) {
        q.put("StudyDate", query.since() + "-");
      }
    }
    q.put("limit", Integer.toString(query.limit()));
    List<JsonNode> studies = pacs.searchStudies(q);
    out.printf("%d stud%s found%n", studies.size(), studies.size() == 1 ? "y" : "ies");
    List<StudyOutcome> outcomes = new ArrayList<>();
    int i = 0;
    for (JsonNode study : studies) {
      String uid = DicomJson.string(study, Tag.STUDY_INSTANCE_UID);
      out.printf("[%d/%d] study %s: ", ++i, studies.size(), uid);
      out.flush();
      StudyOutcome o = answer(uid, DicomJson.studyContext(study), force);
      out.println(o.skipped() != null ? "skipped (" + o.skipped() + ")"
          : String.join("; ", o.verdicts()) + ", " + o.stored() + " objects stored");
      out.flush();
      outcomes.add(o);
    }
    return outcomes;
  }

  /** Scores one study's CT series and stores the results into it. */
  public StudyOutcome answer(String studyUid, StudyContext studyContext, boolean force) throws IOException {
    List<JsonNode> series = pacs.searchSeries(studyUid, Map.of("includefield", "SeriesDescription"));
    if (!force && series.stream().anyMatch(s -> ResultObjects.REPORT_SERIES.equals(
        DicomJson.string(s, Tag.SERIES_DESCRIPTION)))) {
      return new StudyOutcome(studyUid, List.of(), 0, "already answered; --force scores it again");
    }
    List<SeriesAssembler.Input> files = new ArrayList<>();
    List<SeriesAssembler.Skipped> leftOut = new ArrayList<>();
    for (JsonNode s : series) {
      String seriesUid = DicomJson.string(s, Tag.SERIES_INSTANCE_UID);
      String modality = DicomJson.string(s, Tag.MODALITY);
      if (!"CT".equals(modality)) {
        leftOut.add(new SeriesAssembler.Skipped("series " + seriesUid, "modality " + modality + ", not CT"));
        continue;
      }
      int[] n = {0};
      pacs.retrieveSeries(studyUid, seriesUid, MAX_INSTANCE_BYTES,
          data -> files.add(new SeriesAssembler.Input("series " + seriesUid + " instance " + ++n[0], data)));
    }
    StudyResults.Outcome scored = StudyResults.score(new ScanScorer(session), session, session::explain, studyUid,
        studyContext, files, leftOut, METHOD, settings, ScanPrediction.MAX_PIXELS_PER_FILE);
    int stored = 0;
    for (ResultObjects.Written w : scored.written()) {
      pacs.store(studyUid, w.instances());
      stored += w.instances().size();
    }
    List<ResultObjects.Finding> findings = scored.written().stream().map(ResultObjects.Written::finding)
        .filter(java.util.Objects::nonNull).toList();
    if (fhirOut != null && !findings.isEmpty()) {
      java.nio.file.Files.createDirectories(fhirOut);
      java.nio.file.Files.writeString(fhirOut.resolve(studyUid + ".fhir.json"),
          org.ctnet.graph.report.FhirResults.bundle(findings, settings));
    }
    return new StudyOutcome(studyUid, scored.verdicts(), stored, null);
  }
}
