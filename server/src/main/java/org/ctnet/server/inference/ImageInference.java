package org.ctnet.server.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.scan.ScanScorer;
import org.ctnet.graph.scan.Series;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.inference.ImageInputs.Batch;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.ServedVersion;

/**
 * The image API for people and simple clients: one uploaded image classified or explained with the
 * model's decision rule applied, and whole scans (DICOM series or slices) scored as one verdict.
 */
public final class ImageInference {
  /** Most files one scan upload may hold (a thin-slice chest CT has 300–700). */
  public static final int MAX_SCAN_FILES = 2_000;
  /** Slices of a scan explained with overlays: the top ones of the scan rule. */


  private final ModelRepository repository;
  private final ServerSettings settings;
  private final ImageInputs inputs;
  private final SchedulerCalls calls;

  public ImageInference(ModelRepository repository, ServerSettings settings, ImageInputs inputs, SchedulerCalls calls) {
    this.repository = repository;
    this.settings = settings;
    this.inputs = inputs;
    this.calls = calls;
  }

  /**
   * @param strict refuse (422) an image that fails an input check instead of answering with the
   *     reasons beside the label
   */
  public JsonNode classifyImage(String model, String version, byte[] image, boolean strict) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      Predictor session = lease.version().predictor();
      InputCheck.Checked checked = checked(session, image, strict);
      Prediction p = calls.await(lease.version().predict(checked.input(), 1));
      InputCheck.Result check = afterModel(lease.version().withOutOfDistribution(checked.check(), p, 0), strict);
      ObjectNode out = decision(model, lease.version().version(), session.assets(), p.probabilities()[0]);
      if (p.lesion() != null) {
        ExplanationJson.lesionSummary(out.putObject("lesion"), p.lesion(), 0);
      }
      out.set(ModelNames.OUT_INPUT_CHECK, inputCheck(check));
      return out;
    }
  }

  public JsonNode explainImage(String model, String version, byte[] image, JsonNode options, boolean strict) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      Predictor session = lease.version().predictor();
      InputCheck.Checked checked = checked(session, image, strict);
      Batch b = new Batch(checked.input(), 1, List.of(image));
      ExplainOptions o = ExplainOptions.from(options, session.spec());
      o = new ExplainOptions(o.method(), o.classIndex(), o.grid(), true, o.opacity(), o.smooth(), o.lungs());
      int[] classes = o.classIndices(1, session.spec().numClasses());
      Explanation e = calls.explanation(lease.version(), b.pixels(), 1, classes, o.smooth());
      InputCheck.Result check = afterModel(lease.version().withOutOfDistribution(checked.check(), e.prediction(), 0),
          strict);
      ObjectNode out = decision(model, lease.version().version(), session.assets(), e.prediction().probabilities()[0]);
      out.set("explanation", ExplanationJson.of(session, e, 0, b.pixels(), o));
      out.set(ModelNames.OUT_INPUT_CHECK, inputCheck(check));
      return out;
    }
  }

  /** The checks once the model's own out-of-distribution flag is in: under strict, a flag refuses (422). */
  private static InputCheck.Result afterModel(InputCheck.Result check, boolean strict) {
    if (strict && !check.ok()) {
      throw new ServingException(Problem.UNPROCESSABLE, "the image fails the input checks (strict=true): "
          + String.join("; ", check.reasons().stream().map(r -> r.code() + ": " + r.meaning()).toList()));
    }
    return check;
  }

  private InputCheck.Checked checked(Predictor session, byte[] image, boolean strict) {
    InputCheck.Checked checked = inputs.decodeChecked(session, image);
    if (strict && !checked.check().ok()) {
      throw new ServingException(Problem.UNPROCESSABLE, "the image fails the input checks (strict=true): "
          + String.join("; ", checked.check().reasons().stream().map(r -> r.code() + ": " + r.meaning()).toList()));
    }
    return checked;
  }

  /** {"status": "ok" | "flagged", "reasons": [{"code", "meaning"}]}: beside the label, never changing it. */
  static ObjectNode inputCheck(InputCheck.Result check) {
    ObjectNode x = Json.object();
    x.put("status", check.ok() ? "ok" : "flagged");
    ArrayNode reasons = x.putArray("reasons");
    check.reasons().forEach(r -> reasons.addObject().put("code", r.code()).put("meaning", r.meaning()));
    return x;
  }


  /**
   * One verdict per scan: DICOM files assembled into series (what is left out is listed with its
   * reason), other images taken as one scan in upload order; every slice scored through the
   * scheduler, the top slices explained.
   */
  public JsonNode scan(String model, String version, List<SeriesAssembler.Input> files, JsonNode options) {
    return org.ctnet.server.observe.Tracing.current().inSpan("scan", () -> scanTraced(model, version, files, options));
  }

  private JsonNode scanTraced(String model, String version, List<SeriesAssembler.Input> files, JsonNode options) {
    if (files.isEmpty()) {
      throw ServingException.badRequest("no files in the scan upload");
    }
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      ServedVersion served = lease.version();
      Predictor session = served.predictor();
      NetworkSpec spec = session.spec();
      List<SeriesAssembler.Input> dicom = new ArrayList<>();
      List<SeriesAssembler.Input> images = new ArrayList<>();
      long largestDecode = 0;
      for (SeriesAssembler.Input f : files) {
        (DicomReader.looksLikeDicom(f.data()) ? dicom : images).add(f);
        try {
          largestDecode = Math.max(largestDecode, ImagePreprocessor.decodeBytes(f.data()));
        } catch (ImageDecodeException e) {
          // reported per file below
        }
      }
      // What a scan holds at once: one decoded file and every slice's model input.
      long bytes = largestDecode + (long) files.size() * spec.inputShape().pixels() * Float.BYTES;
      try (DecodeBudget.Permit permit = inputs.budget().acquire(bytes)) {
        SeriesAssembler.Assembly assembly = SeriesAssembler.assemble(dicom, settings.maxImagePixels());
        List<SeriesAssembler.Skipped> skipped = new ArrayList<>(assembly.skipped());
        ScanScorer scorer = new ScanScorer(session.assets(),
            (batch, count) -> served.predict(batch, count).orTimeout(settings.requestTimeoutMillis(), TimeUnit.MILLISECONDS)
                .thenApply(ScanScorer.SliceScores::of));
        List<ScanScorer.ScanResult> results = new ArrayList<>();
        for (Series series : assembly.series()) {
          try {
            results.add(scorer.score(series, settings.maxImagePixels(), skipped));
          } catch (IllegalArgumentException none) {
            skipped.add(new SeriesAssembler.Skipped(series.seriesUid(), "no slice of the series could be decoded"));
          } catch (java.util.concurrent.CompletionException e) {
            throw calls.failure(e.getCause());
          }
        }
        try {
          scorer.scoreImages("uploaded slices", images, settings.maxImagePixels(), skipped).ifPresent(results::add);
        } catch (java.util.concurrent.CompletionException e) {
          throw calls.failure(e.getCause());
        }
        if (results.isEmpty()) {
          throw ServingException.badRequest("no scan could be scored: " + skipped.stream().limit(5)
              .map(k -> k.source() + ": " + k.reason()).toList());
        }
        ExplainOptions o = ExplainOptions.from(options, spec);
        o = new ExplainOptions(o.method(), o.classIndex(), o.grid(), true, o.opacity(), false, o.lungs());
        ObjectNode out = Json.object();
        out.put("model", model).put("version", Long.toString(served.version()));
        ArrayNode scans = out.putArray("scans");
        for (ScanScorer.ScanResult r : results) {
          scans.add(scanJson(served, r, o));
        }
        ArrayNode left = out.putArray("skipped");
        skipped.forEach(k -> left.addObject().put("file", k.source()).put("reason", k.reason()));
        out.put("notice", "Research software, not a medical device: not for diagnosis.");
        return out;
      }
    }
  }


  /**
   * A study received from a PACS as DICOM results for it (an SR and captures per scored series, or
   * an SR saying why none could be scored), scored through the scheduler like any request; the
   * study's files are read from disk one decode at a time within the decode budget.
   */
  public org.ctnet.graph.report.StudyResults.Outcome answerStudy(String model, String studyUid,
      List<SeriesAssembler.Input> files, org.ctnet.graph.report.ResultObjects.Settings results) {
    try (ModelRepository.Lease lease = repository.acquire(model, null, null)) {
      ServedVersion served = lease.version();
      Predictor session = served.predictor();
      long bytes = (long) files.size() * session.spec().inputShape().pixels() * Float.BYTES;
      try (DecodeBudget.Permit permit = inputs.budget().acquire(bytes)) {
        ScanScorer scorer = new ScanScorer(session.assets(),
            (batch, count) -> served.predict(batch, count).orTimeout(settings.requestTimeoutMillis(), TimeUnit.MILLISECONDS)
                .thenApply(ScanScorer.SliceScores::of));
        var named = new org.ctnet.graph.report.ResultObjects.Settings(results.uids(), model,
            Long.toString(served.version()));
        try {
          return org.ctnet.graph.report.StudyResults.score(scorer, session,
              (batch, n, classes) -> calls.explanation(served, batch, n, classes, false), studyUid,
              org.ctnet.dicom.StudyContext.EMPTY, files, List.of(), CamMethod.GRAD_CAM_PLUS_PLUS, named,
              settings.maxImagePixels());
        } catch (java.util.concurrent.CompletionException e) {
          throw calls.failure(e.getCause());
        }
      }
    }
  }

  private ObjectNode scanJson(ServedVersion served, ScanScorer.ScanResult r, ExplainOptions options) {
    ModelAssets assets = served.predictor().assets();
    ObjectNode x = Json.object();
    x.put("scan", r.name());
    x.put("probability", r.probability());
    x.put("label", assets.labels().get(r.positive() ? assets.positiveClass() : 0));
    x.putObject("decision").put("rule", r.decision().rule().name().toLowerCase(java.util.Locale.ROOT))
        .put("rule_description", r.decision().rule().description()).put("threshold", r.decision().threshold())
        .put("chosen_for", r.decision().chosenFor()).put("positive", r.positive());
    x.put("slices", r.sources().size()).put("slices_used", r.used().length).put("lung_found", r.lungFound());
    x.put(ModelNames.OUT_INPUT_CHECK, r.inputCheck()).put("usable_slices", r.usableSlices());
    if (r.hasInvolvement()) {
      x.put("lung_involvement", r.involvement());
      x.putObject("severity").put("category", r.severity().code()).put("meaning", r.severity().meaning());
    }
    ArrayNode slices = x.putArray("slice_probabilities");
    for (int i = 0; i < r.sources().size(); i++) {
      ObjectNode slice = slices.addObject().put("file", r.sources().get(i)).put("probability", r.sliceProbabilities()[i])
          .put("shows_lung", r.lung()[i]);
      if (r.hasInvolvement()) {
        slice.put("lung_involvement", r.sliceInvolvement()[i]);
      }
      if (r.sliceChecks() != null) {
        slice.put(ModelNames.OUT_INPUT_CHECK, r.sliceChecks().get(i).code());
      }
    }
    int explained = r.explainedCount();
    float[] batch = r.explainedBatch();
    int[] classes = new int[explained];
    java.util.Arrays.fill(classes, assets.positiveClass());
    ArrayNode top = x.putArray("top_slices");
    if (explained > 0) {
      Explanation e = calls.explanation(served, batch, explained, classes, false);
      for (int i = 0; i < explained; i++) {
        ObjectNode t = top.addObject();
        t.put("file", r.sources().get(r.top()[i])).put("index", r.top()[i])
            .put("probability", r.sliceProbabilities()[r.top()[i]]);
        t.set("explanation", ExplanationJson.of(served.predictor(), e, i, batch, options));
      }
    }
    return x;
  }

  private static ObjectNode decision(String model, long version, ModelAssets assets, float[] probabilities) {
    ObjectNode out = Json.object();
    out.put("model", model);
    out.put("version", Long.toString(version));
    ObjectNode probs = out.putObject("probabilities");
    for (int c = 0; c < probabilities.length; c++) {
      probs.put(assets.labels().get(c), probabilities[c]);
    }
    int positive = assets.positiveClass();
    boolean isPositive = assets.decision().isPositive(probabilities[positive]);
    out.put("label", assets.decisionLabel(probabilities[positive]));
    out.putObject("decision").put("positive_class", assets.labels().get(positive))
        .put("threshold", assets.decision().threshold()).put("chosen_for", assets.decision().chosenFor())
        .put("positive", isPositive);
    out.put("notice", "Research software, not a medical device: not for diagnosis.");
    return out;
  }

}
