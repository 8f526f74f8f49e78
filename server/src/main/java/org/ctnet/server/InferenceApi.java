package org.ctnet.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.preprocess.DicomReader;
import org.ctnet.graph.scan.ScanScorer;
import org.ctnet.graph.scan.Series;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.graph.preprocess.ImageTooLargeException;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.LungField;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.spec.NetworkSpec;
import org.tensorflow.Signature;
import org.ctnet.graph.render.HeatmapRenderer;

/**
 * The serving logic behind the HTTP routes, free of HTTP: parses TF Serving / KServe / image
 * requests, runs them through the served version's inference scheduler, and builds the responses.
 */
public final class InferenceApi {
  private final ModelRepository repository;
  private final ServerSettings settings;
  private final DecodeBudget decodeBudget;

  public InferenceApi(ModelRepository repository, ServerSettings settings) {
    this.repository = repository;
    this.settings = settings;
    this.decodeBudget = new DecodeBudget(settings.decodeBudgetBytes());
  }

  public ModelRepository repository() {
    return repository;
  }

  // ---------------------------------------------------------------- TF Serving: status, metadata

  /** Status of every model with the devices each served version runs on (GET /api/models). */
  public JsonNode overview() {
    ObjectNode out = Json.object();
    for (String m : repository.models()) {
      ObjectNode entry = (ObjectNode) status(m, null, null);
      ObjectNode devices = entry.putObject("devices");
      for (ModelRepository.VersionStatus s : repository.status(m).values()) {
        if (s.state().equals("AVAILABLE")) {
          try (ModelRepository.Lease lease = repository.acquire(m, Long.toString(s.version()), null)) {
            devices.set(Long.toString(s.version()), Json.MAPPER.valueToTree(lease.version().devices()));
          } catch (ApiException e) {
            // unloaded between the two calls: nothing to report
          }
        }
      }
      out.set(m, entry);
    }
    return out;
  }

  public JsonNode status(String model, String version, String label) {
    Map<Long, ModelRepository.VersionStatus> statuses = repository.status(model);
    Long only = null;
    if (label != null) {
      only = repository.labels(model).get(label);
      if (only == null) {
        throw ApiException.notFound("Unrecognized servable version label: " + label);
      }
    } else if (version != null) {
      if (!version.matches("[0-9]{1,18}")) {
        throw ApiException.badRequest("model version must be a positive integer, got '" + version + "'");
      }
      only = Long.parseLong(version);
      if (!statuses.containsKey(only)) {
        throw ApiException.notFound("Could not find version " + version + " of model " + model);
      }
    }
    ArrayNode list = Json.array();
    for (ModelRepository.VersionStatus s : statuses.values()) {
      if (only != null && s.version() != only) {
        continue;
      }
      ObjectNode entry = list.addObject();
      entry.put("version", Long.toString(s.version()));
      entry.put("state", s.state());
      entry.putObject("status").put("error_code", s.errorCode()).put("error_message", s.errorMessage());
    }
    ObjectNode out = Json.object();
    out.set("model_version_status", list);
    return out;
  }

  public JsonNode metadata(String model, String version, String label) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, label)) {
      ObjectNode out = Json.object();
      out.putObject("model_spec").put("name", model).put("signature_name", "")
          .put("version", Long.toString(lease.version().version()));
      ObjectNode defs = out.putObject("metadata").putObject("signature_def").putObject("signature_def");
      for (Map.Entry<String, Signature> e : lease.version().session().signatures().entrySet()) {
        ObjectNode def = defs.putObject(e.getKey());
        tensorInfo(def.putObject("inputs"), e.getValue().getInputs());
        tensorInfo(def.putObject("outputs"), e.getValue().getOutputs());
        def.put("method_name", e.getValue().methodName());
      }
      return out;
    }
  }

  private static void tensorInfo(ObjectNode target, Map<String, Signature.TensorDescription> tensors) {
    tensors.forEach((name, d) -> {
      ObjectNode t = target.putObject(name);
      t.put("dtype", d.dataType.name());
      ObjectNode shape = t.putObject("tensor_shape");
      ArrayNode dims = shape.putArray("dim");
      for (long size : d.shape.asArray()) {
        dims.addObject().put("size", Long.toString(size)).put("name", "");
      }
      shape.put("unknown_rank", false);
      t.put("name", d.name);
    });
  }

  // ---------------------------------------------------------------- TF Serving: predict, explain

  /** Images decoded from a request, with the original order preserved. */
  private record Batch(float[] pixels, int count, List<byte[]> encoded) {}

  /**
   * :predict on a raw body: float rows take the byte-level parser ({@link FastInstances}), any other
   * body the general JSON path, which also writes the detailed errors. One lease for both.
   */
  public JsonNode predict(String model, String version, String label, byte[] body) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, label)) {
      FastInstances.Parsed parsed = fastInstances(lease.version().session().spec(), body);
      if (parsed != null && isDefaultSignature(parsed.others().get("signature_name"))) {
        return predictionResponse(await(lease.version().predict(parsed.values(), parsed.count())), false);
      }
      return predict(lease.version(), Json.parse(body));
    }
  }

  private JsonNode predict(ServedVersion served, JsonNode body) {
    RequestBody request = RequestBody.parse(body, settings.maxInstances());
    String signature = request.signature() == null ? ModelNames.SERVING_DEFAULT : request.signature();
    Prediction p = switch (signature) {
      case ModelNames.SERVING_DEFAULT -> {
        Batch b = images(served.session(), request, ModelNames.IN_IMAGES);
        yield await(served.predict(b.pixels(), b.count()));
      }
      case ModelNames.SERVING_BYTES -> predictEncoded(served, request);
      default -> throw ApiException.badRequest("signature_name '" + signature + "' cannot be used with :predict here; use "
          + ModelNames.SERVING_DEFAULT + " or " + ModelNames.SERVING_BYTES
          + (signature.equals(ModelNames.EXPLAIN) ? " (or POST :explain)" : ""));
    };
    return predictionResponse(p, request.columnar());
  }

  /** :explain on a raw body, like {@link #predict}; the body's other members are the explain options. */
  public JsonNode explain(String model, String version, String label, byte[] body) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, label)) {
      ServedVersion served = lease.version();
      FastInstances.Parsed parsed = fastInstances(served.session().spec(), body);
      JsonNode signature = parsed == null ? null : parsed.others().get("signature_name");
      if (parsed != null && (signature == null || signature.isTextual())) {
        return explainImages(served, parsed.values(), parsed.count(), parsed.others());
      }
      JsonNode tree = Json.parse(body);
      RequestBody request = RequestBody.parse(tree, settings.maxInstances());
      Batch b = images(served.session(), request, ModelNames.IN_IMAGES);
      return explainImages(served, b.pixels(), b.count(), tree);
    }
  }

  private FastInstances.Parsed fastInstances(NetworkSpec spec, byte[] body) {
    FastInstances.Parsed parsed = FastInstances.parse(body, spec.inputHeight(), spec.inputWidth(), spec.inputChannels(),
        settings.maxInstances());
    return parsed == null || parsed.others().has("inputs") ? null : parsed;
  }

  private static boolean isDefaultSignature(JsonNode signature) {
    return signature == null || (signature.isTextual() && signature.asText().equals(ModelNames.SERVING_DEFAULT));
  }

  private JsonNode predictionResponse(Prediction p, boolean columnar) {
    ObjectNode out = Json.object();
    if (columnar) {
      ObjectNode outputs = out.putObject("outputs");
      outputs.set(ModelNames.OUT_PROBABILITIES, Json.matrix(p.probabilities()));
      outputs.set(ModelNames.OUT_LOGITS, Json.matrix(p.logits()));
    } else {
      ArrayNode predictions = out.putArray("predictions");
      for (int i = 0; i < p.size(); i++) {
        ObjectNode row = predictions.addObject();
        row.set(ModelNames.OUT_PROBABILITIES, Json.row(p.probabilities()[i]));
        row.set(ModelNames.OUT_LOGITS, Json.row(p.logits()[i]));
      }
    }
    return out;
  }

  private Prediction predictEncoded(ServedVersion served, RequestBody request) {
    List<byte[]> encoded = new ArrayList<>();
    for (JsonNode instance : request.instances(ModelNames.IN_IMAGE_BYTES)) {
      encoded.add(base64(instance));
    }
    boolean allGraphDecodable = true;
    for (byte[] e : encoded) {
      if (DicomReader.looksLikeDicom(e) || !(isPng(e) || isJpeg(e))) {
        allGraphDecodable = false;
      } else {
        checkImageHeader(e);
      }
    }
    if (!allGraphDecodable) {
      // DICOM, BMP, GIF and TIFF are decoded in Java (the graph decodes PNG and JPEG only), then
      // served like pixels; what Java cannot read either is refused there with a 400.
      Batch b = decodeInJava(served.session(), encoded);
      return await(served.predict(b.pixels(), b.count()));
    }
    long decodeBytes = 0;
    for (byte[] e : encoded) {
      try {
        decodeBytes += ImagePreprocessor.decodeBytes(e);
      } catch (ImageDecodeException bad) {
        throw ApiException.badRequest(bad.getMessage());
      }
    }
    // TF decodes these in native memory, but the same budget bounds what a burst of them can take.
    try (DecodeBudget.Permit permit = decodeBudget.acquire(decodeBytes)) {
      return await(served.predictEncoded(encoded));
    }
  }

  /** Explains count images ([n,H,W,C] flattened) with the options found in {@code options}. */
  private JsonNode explainImages(ServedVersion served, float[] pixels, int count, JsonNode optionsBody) {
    ModelSession session = served.session();
    ExplainOptions options = ExplainOptions.from(optionsBody, session.spec());
    int[] classes = options.classIndices(count, session.spec().numClasses());
    Explanation e = explanation(served, pixels, count, classes, options.smooth());
    ObjectNode out = (ObjectNode) predictionResponse(e.prediction(), false);
    ArrayNode explanations = out.putArray("explanations");
    for (int i = 0; i < count; i++) {
      explanations.add(explanationJson(session, e, i, pixels, options));
    }
    return out;
  }

  private ObjectNode explanationJson(ModelSession session, Explanation e, int i, float[] pixels, ExplainOptions options) {
    NetworkSpec spec = session.spec();
    Explanation.Maps maps = e.maps().get(options.method());
    ObjectNode x = Json.object();
    x.put("method", options.method().key());
    x.put("target_class", e.targetClass()[i]);
    x.put("target_label", session.assets().labels().get(e.targetClass()[i]));
    x.put("has_evidence", maps.hasEvidence()[i]);
    x.put("layer", spec.effectiveCamLayer());
    x.set("cam", Json.grid(maps.cam()[i], maps.camHeight(), maps.camWidth()));
    int hw = spec.inputShape().area();
    float[] grey = new float[hw];
    for (int p = 0; p < hw; p++) {
      grey[p] = pixels[(i * hw + p) * spec.inputChannels()];
    }
    float[] heat = maps.heatmap()[i];
    if (options.lungs()) {
      // Restricted by image processing, not by the model: said in the response; "cam" stays the model's.
      LungField field = LungField.find(grey, spec.inputWidth(), spec.inputHeight());
      heat = field.constrain(heat);
      ObjectNode lungs = x.putObject("lung_field");
      lungs.put("found", field.found());
      lungs.put("area_fraction", field.areaFraction());
    }
    float[][] grid = HeatmapRenderer.grid(heat, maps.width(), maps.height(), options.grid(), options.grid());
    x.set("heatmap", Json.matrix(grid));
    if (options.overlay()) {
      Base64.Encoder b64 = Base64.getEncoder();
      x.put("overlay_png", b64.encodeToString(HeatmapRenderer.png(grey, heat, spec.inputWidth(), spec.inputHeight(), options.opacity())));
      x.put("heatmap_png", b64.encodeToString(HeatmapRenderer.heatPng(heat, spec.inputWidth(), spec.inputHeight())));
      x.put("image_png", b64.encodeToString(HeatmapRenderer.greyPng(grey, spec.inputWidth(), spec.inputHeight())));
    }
    return x;
  }

  /**
   * Explain request options: method, class index, heatmap grid size, overlay and its opacity,
   * flip smoothing, and whether the heatmap is restricted to the lung field.
   */
  record ExplainOptions(CamMethod method, JsonNode classIndex, int grid, boolean overlay, double opacity, boolean smooth,
      boolean lungs) {
    static ExplainOptions from(JsonNode body, NetworkSpec spec) {
      String methodName = body.path("method").asText(CamMethod.GRAD_CAM_PLUS_PLUS.key());
      CamMethod method;
      try {
        method = CamMethod.fromKey(methodName);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest(e.getMessage());
      }
      int grid = body.path("grid").asInt(14);
      if (grid < 1 || grid > Math.max(spec.inputHeight(), spec.inputWidth())) {
        throw ApiException.badRequest("grid must be in [1, " + spec.inputHeight() + "], got " + grid);
      }
      double opacity = body.path("opacity").asDouble(0.5);
      if (!(opacity >= 0 && opacity <= 1)) {
        throw ApiException.badRequest("opacity must be in [0, 1], got " + opacity);
      }
      for (String flag : new String[] {"overlay", "smooth", "lungs"}) {
        if (body.has(flag) && !body.get(flag).isBoolean()) {
          throw ApiException.badRequest(flag + " must be true or false, got " + body.get(flag));
        }
      }
      return new ExplainOptions(method, body.get("class_index"), grid, body.path("overlay").asBoolean(false), opacity,
          body.path("smooth").asBoolean(false), body.path("lungs").asBoolean(false));
    }

    int[] classIndices(int n, int classes) {
      int[] out = new int[n];
      java.util.Arrays.fill(out, -1);
      if (classIndex == null || classIndex.isNull()) {
        return out;
      }
      if (classIndex.isInt()) {
        java.util.Arrays.fill(out, check(classIndex.asInt(), classes));
        return out;
      }
      if (classIndex.isArray() && classIndex.size() == n) {
        for (int i = 0; i < n; i++) {
          if (!classIndex.get(i).isInt()) {
            throw ApiException.badRequest("class_index entries must be integers");
          }
          out[i] = check(classIndex.get(i).asInt(), classes);
        }
        return out;
      }
      throw ApiException.badRequest("class_index must be an integer or a list with one per instance (" + n + ")");
    }

    private static int check(int c, int classes) {
      if (c < -1 || c >= classes) {
        throw ApiException.badRequest("class_index must be -1 (predicted class) or in [0, " + classes + "), got " + c);
      }
      return c;
    }
  }

  // ---------------------------------------------------------------- KServe v2

  public JsonNode kserveModel(String model, String version) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      ObjectNode out = Json.object();
      out.put("name", model);
      ArrayNode versions = out.putArray("versions");
      repository.status(model).values().stream().filter(s -> s.state().equals("AVAILABLE"))
          .forEach(s -> versions.add(Long.toString(s.version())));
      out.put("platform", "tensorflow_savedmodel");
      out.putObject("parameters").set("devices", Json.MAPPER.valueToTree(lease.version().devices()));
      NetworkSpec spec = lease.version().session().spec();
      ArrayNode inputs = out.putArray("inputs");
      inputs.addObject().put("name", ModelNames.IN_IMAGES).put("datatype", "FP32")
          .set("shape", Json.MAPPER.valueToTree(List.of(-1, spec.inputHeight(), spec.inputWidth(), spec.inputChannels())));
      inputs.addObject().put("name", ModelNames.IN_IMAGE_BYTES).put("datatype", "BYTES")
          .set("shape", Json.MAPPER.valueToTree(List.of(-1)));
      ArrayNode outputs = out.putArray("outputs");
      for (String name : List.of(ModelNames.OUT_PROBABILITIES, ModelNames.OUT_LOGITS)) {
        outputs.addObject().put("name", name).put("datatype", "FP32")
            .set("shape", Json.MAPPER.valueToTree(List.of(-1, spec.numClasses())));
      }
      return out;
    }
  }

  /** KServe v2 infer on a raw body: a flat FP32 tensor takes the byte-level parser, anything else the general path. */
  public JsonNode kserveInfer(String model, String version, byte[] raw) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      NetworkSpec spec = lease.version().session().spec();
      FastInstances.Parsed parsed = FastInstances.parseKserve(raw, spec.inputHeight(), spec.inputWidth(), spec.inputChannels(),
          settings.maxInstances());
      if (parsed != null) {
        return kserveRun(model, lease.version(), parsed.values(), parsed.count(), parsed.others());
      }
      return kserveInfer(model, lease.version(), Json.parse(raw));
    }
  }

  private JsonNode kserveInfer(String model, ServedVersion served, JsonNode body) {
    ModelSession session = served.session();
    NetworkSpec spec = session.spec();
    JsonNode inputs = body.get("inputs");
    if (inputs == null || !inputs.isArray() || inputs.size() != 1) {
      throw ApiException.badRequest("inputs must be a list with one tensor: '" + ModelNames.IN_IMAGES + "' (FP32) or '"
          + ModelNames.IN_IMAGE_BYTES + "' (BYTES)");
    }
    JsonNode input = inputs.get(0);
    String datatype = input.path("datatype").asText("");
    JsonNode shape = input.get("shape");
    JsonNode data = input.get("data");
    if (shape == null || !shape.isArray() || data == null || !data.isArray()) {
      throw ApiException.badRequest("each input needs 'shape' and 'data' arrays");
    }
    Prediction p;
    int n;
    for (JsonNode dim : shape) {
      if (!dim.canConvertToInt() || !dim.isIntegralNumber()) {
        throw ApiException.badRequest("inputs[0].shape must hold integers in the int32 range, got " + shape);
      }
    }
    if (datatype.equals("FP32")) {
      int[] expected = {shape.path(0).asInt(-1), spec.inputHeight(), spec.inputWidth(), spec.inputChannels()};
      if (shape.size() != 4 || expected[0] < 1 || expected[0] > settings.maxInstances()
          || shape.get(1).asInt() != expected[1] || shape.get(2).asInt() != expected[2] || shape.get(3).asInt() != expected[3]) {
        throw ApiException.badRequest("FP32 input shape must be [n, " + expected[1] + ", " + expected[2] + ", "
            + expected[3] + "] with 1 <= n <= " + settings.maxInstances() + ", got " + shape);
      }
      n = expected[0];
      float[] pixels = new float[n * expected[1] * expected[2] * expected[3]];
      JsonNode flat = data;
      if (data.size() > 0 && data.get(0).isArray()) {
        Json.flatten(data, expected, 0, pixels, 0, "inputs[0].data");
      } else {
        if (flat.size() != pixels.length) {
          throw ApiException.badRequest("inputs[0].data has " + flat.size() + " values, shape needs " + pixels.length);
        }
        for (int i = 0; i < pixels.length; i++) {
          if (!flat.get(i).isNumber()) {
            throw ApiException.badRequest("inputs[0].data[" + i + "] is not a number");
          }
          pixels[i] = Json.finiteFloat(flat.get(i), "inputs[0].data[" + i + "]");
        }
      }
      return kserveRun(model, served, pixels, n, body);
    } else if (datatype.equals("BYTES")) {
      n = data.size();
      if (n < 1 || n > settings.maxInstances()) {
        throw ApiException.badRequest("BYTES input needs 1.." + settings.maxInstances() + " base64 strings, got " + n);
      }
      List<byte[]> encoded = new ArrayList<>();
      for (JsonNode d : data) {
        encoded.add(decodeBase64(d.asText(), "inputs[0].data"));
      }
      Batch b = decodeInJava(session, encoded);
      return kserveRun(model, served, b.pixels(), b.count(), body);
    } else {
      throw ApiException.badRequest("datatype must be FP32 or BYTES, got '" + datatype + "'");
    }
  }

  /** The outputs a v2 request names ({@code outputs: [{"name": ...}]}); empty means the default ones. */
  private static List<String> wantedOutputs(JsonNode body) {
    List<String> wanted = new ArrayList<>();
    if (body.has("outputs") && body.get("outputs").isArray()) {
      body.get("outputs").forEach(o -> wanted.add(o.path("name").asText()));
    }
    return wanted;
  }

  /**
   * Runs serving_default, or the explain signature when the request asks for any of its outputs
   * ({@code <method>_heatmap}, {@code <method>_cam}, {@code <method>_has_evidence}, {@code target_class}),
   * for the class in {@code parameters.class_index} or else the predicted one.
   */
  private JsonNode kserveRun(String model, ServedVersion served, float[] pixels, int n, JsonNode body) {
    List<String> wanted = wantedOutputs(body);
    List<String> known = new ArrayList<>(List.of(ModelNames.OUT_PROBABILITIES, ModelNames.OUT_LOGITS, ModelNames.OUT_TARGET_CLASS));
    for (CamMethod m : served.session().camMethods()) {
      known.addAll(List.of(m.key() + ModelNames.OUT_HEATMAP_SUFFIX, m.key() + ModelNames.OUT_CAM_SUFFIX,
          m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX));
    }
    for (String w : wanted) {
      if (!known.contains(w)) {
        throw ApiException.badRequest("unknown output '" + w + "'; outputs are " + String.join(", ", known));
      }
    }

    boolean explain = wanted.stream().anyMatch(w -> !w.equals(ModelNames.OUT_PROBABILITIES) && !w.equals(ModelNames.OUT_LOGITS));
    if (!explain) {
      return kserveResponse(model, served, await(served.predict(pixels, n)), null, n, body);
    }
    int classIndex = -1;
    JsonNode requested = body.path("parameters").path("class_index");
    if (!requested.isMissingNode()) {
      if (!requested.canConvertToInt() || !requested.isIntegralNumber() || requested.asInt() < 0
          || requested.asInt() >= served.session().spec().numClasses()) {
        throw ApiException.badRequest("parameters.class_index must be a class index 0.." + (served.session().spec().numClasses() - 1)
            + ", got " + requested);
      }
      classIndex = requested.asInt();
    }
    int[] classes = new int[n];
    java.util.Arrays.fill(classes, classIndex);
    Explanation e = await(served.explain(pixels, classes));
    return kserveResponse(model, served, e.prediction(), e, n, body);
  }

  /** The KServe v2 infer response, honouring the request's {@code outputs} filter and {@code id}. */
  private JsonNode kserveResponse(String model, ServedVersion served, Prediction p, Explanation explained, int n, JsonNode body) {
    List<String> wanted = wantedOutputs(body);
    ObjectNode out = Json.object();
    out.put("model_name", model);
    out.put("model_version", Long.toString(served.version()));
    if (body.has("id")) {
      out.set("id", body.get("id"));
    }
    int classes = served.session().spec().numClasses();
    ArrayNode outputs = out.putArray("outputs");
    for (var e : Map.of(ModelNames.OUT_PROBABILITIES, p.probabilities(), ModelNames.OUT_LOGITS, p.logits()).entrySet()
        .stream().sorted(Map.Entry.comparingByKey(java.util.Comparator.reverseOrder())).toList()) {
      if (!wanted.isEmpty() && !wanted.contains(e.getKey())) {
        continue;
      }
      ObjectNode o = outputs.addObject();
      o.put("name", e.getKey()).put("datatype", "FP32");
      o.set("shape", Json.MAPPER.valueToTree(List.of(n, classes)));
      ArrayNode flat = o.putArray("data");
      for (float[] row : e.getValue()) {
        for (float v : row) {
          flat.add(v);
        }
      }
    }
    if (explained != null) {
      Explanation e = explained;
      for (String w : wanted) {
        if (w.equals(ModelNames.OUT_TARGET_CLASS)) {
          ObjectNode o = outputs.addObject().put("name", w).put("datatype", "INT32");
          o.set("shape", Json.MAPPER.valueToTree(List.of(n)));
          ArrayNode data = o.putArray("data");
          for (int c : e.targetClass()) {
            data.add(c);
          }
          continue;
        }
        for (CamMethod m : served.session().camMethods()) {
          Explanation.Maps maps = e.maps().get(m);
          if (w.equals(m.key() + ModelNames.OUT_HEATMAP_SUFFIX) || w.equals(m.key() + ModelNames.OUT_CAM_SUFFIX)) {
            boolean heatmap = w.endsWith(ModelNames.OUT_HEATMAP_SUFFIX);
            ObjectNode o = outputs.addObject().put("name", w).put("datatype", "FP32");
            o.set("shape", Json.MAPPER.valueToTree(heatmap ? List.of(n, maps.height(), maps.width())
                : List.of(n, maps.camHeight(), maps.camWidth())));
            ArrayNode data = o.putArray("data");
            for (float[] image : heatmap ? maps.heatmap() : maps.cam()) {
              for (float v : image) {
                data.add(v);
              }
            }
          } else if (w.equals(m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX)) {
            ObjectNode o = outputs.addObject().put("name", w).put("datatype", "BOOL");
            o.set("shape", Json.MAPPER.valueToTree(List.of(n)));
            ArrayNode data = o.putArray("data");
            for (boolean b : maps.hasEvidence()) {
              data.add(b);
            }
          }
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- image endpoints

  public JsonNode classifyImage(String model, String version, byte[] image) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      ModelSession session = lease.version().session();
      Batch b = decodeInJava(session, List.of(image));
      Prediction p = await(lease.version().predict(b.pixels(), 1));
      return decision(model, lease.version().version(), session.assets(), p.probabilities()[0]);
    }
  }

  public JsonNode explainImage(String model, String version, byte[] image, JsonNode options) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      ModelSession session = lease.version().session();
      Batch b = decodeInJava(session, List.of(image));
      ExplainOptions o = ExplainOptions.from(options, session.spec());
      o = new ExplainOptions(o.method(), o.classIndex(), o.grid(), true, o.opacity(), o.smooth(), o.lungs());
      int[] classes = o.classIndices(1, session.spec().numClasses());
      Explanation e = explanation(lease.version(), b.pixels(), 1, classes, o.smooth());
      ObjectNode out = decision(model, lease.version().version(), session.assets(), e.prediction().probabilities()[0]);
      out.set("explanation", explanationJson(session, e, 0, b.pixels(), o));
      return out;
    }
  }

  /** Most files one scan upload may hold (a thin-slice chest CT has 300–700). */
  static final int MAX_SCAN_FILES = 2_000;
  /** Slices of a scan explained with overlays: the top ones of the scan rule. */
  static final int EXPLAINED_SLICES = 3;

  /**
   * One verdict per scan: DICOM files assembled into series (what is left out is listed with its
   * reason), other images taken as one scan in upload order; every slice scored through the
   * scheduler, the top slices explained.
   */
  public JsonNode scan(String model, String version, List<SeriesAssembler.Input> files, JsonNode options) {
    if (files.isEmpty()) {
      throw ApiException.badRequest("no files in the scan upload");
    }
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      ServedVersion served = lease.version();
      ModelSession session = served.session();
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
      try (DecodeBudget.Permit permit = decodeBudget.acquire(bytes)) {
        SeriesAssembler.Assembly assembly = SeriesAssembler.assemble(dicom, settings.maxImagePixels());
        List<SeriesAssembler.Skipped> skipped = new ArrayList<>(assembly.skipped());
        ScanScorer scorer = new ScanScorer(session.assets(),
            (batch, count) -> served.predict(batch, count).orTimeout(settings.requestTimeoutMillis(), TimeUnit.MILLISECONDS)
                .thenApply(Prediction::probabilities));
        List<ScanScorer.ScanResult> results = new ArrayList<>();
        for (Series series : assembly.series()) {
          try {
            results.add(scorer.score(series, settings.maxImagePixels(), skipped));
          } catch (IllegalArgumentException none) {
            skipped.add(new SeriesAssembler.Skipped(series.seriesUid(), "no slice of the series could be decoded"));
          } catch (java.util.concurrent.CompletionException e) {
            throw inferenceFailure(e.getCause());
          }
        }
        try {
          scorer.scoreImages("uploaded slices", images, settings.maxImagePixels(), skipped).ifPresent(results::add);
        } catch (java.util.concurrent.CompletionException e) {
          throw inferenceFailure(e.getCause());
        }
        if (results.isEmpty()) {
          throw ApiException.badRequest("no scan could be scored: " + skipped.stream().limit(5)
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

  /** A scheduler failure as the status a client should see (what {@link #await} does for one future). */
  private ApiException inferenceFailure(Throwable cause) {
    if (cause instanceof TimeoutException) {
      return new ApiException(ApiException.Problem.TIMEOUT, "inference timed out after " + settings.requestTimeoutMillis() + " ms");
    }
    if (cause instanceof ApiException api) {
      return api;
    }
    return new ApiException(ApiException.Problem.INTERNAL, "inference failed: " + cause);
  }

  private ObjectNode scanJson(ServedVersion served, ScanScorer.ScanResult r, ExplainOptions options) {
    ModelAssets assets = served.session().assets();
    ObjectNode x = Json.object();
    x.put("scan", r.name());
    x.put("probability", r.probability());
    x.put("label", assets.labels().get(r.positive() ? assets.positiveClass() : 0));
    x.putObject("decision").put("rule", r.decision().rule().name().toLowerCase(java.util.Locale.ROOT))
        .put("rule_description", r.decision().rule().description()).put("threshold", r.decision().threshold())
        .put("chosen_for", r.decision().chosenFor()).put("positive", r.positive());
    x.put("slices", r.sources().size()).put("slices_used", r.used().length).put("lung_found", r.lungFound());
    ArrayNode slices = x.putArray("slice_probabilities");
    for (int i = 0; i < r.sources().size(); i++) {
      slices.addObject().put("file", r.sources().get(i)).put("probability", r.sliceProbabilities()[i])
          .put("shows_lung", r.lung()[i]);
    }
    int explained = Math.min(EXPLAINED_SLICES, r.top().length);
    int pixels = served.session().spec().inputShape().pixels();
    float[] batch = new float[explained * pixels];
    for (int i = 0; i < explained; i++) {
      System.arraycopy(r.topInputs().get(i), 0, batch, i * pixels, pixels);
    }
    int[] classes = new int[explained];
    java.util.Arrays.fill(classes, assets.positiveClass());
    ArrayNode top = x.putArray("top_slices");
    if (explained > 0) {
      Explanation e = explanation(served, batch, explained, classes, false);
      for (int i = 0; i < explained; i++) {
        ObjectNode t = top.addObject();
        t.put("file", r.sources().get(r.top()[i])).put("index", r.top()[i])
            .put("probability", r.sliceProbabilities()[r.top()[i]]);
        t.set("explanation", explanationJson(served.session(), e, i, batch, options));
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

  // ---------------------------------------------------------------- shared plumbing

  private Batch images(ModelSession session, RequestBody request, String inputName) {
    NetworkSpec spec = session.spec();
    List<JsonNode> instances = request.instances(inputName);
    int pixels = spec.inputShape().pixels();
    boolean encoded = instances.stream().allMatch(i -> i.isObject() && i.has("b64"));
    if (encoded) {
      List<byte[]> bytes = new ArrayList<>();
      instances.forEach(i -> bytes.add(base64(i)));
      return decodeInJava(session, bytes);
    }
    float[] out = new float[instances.size() * pixels];
    int[] shape = spec.inputChannels() == 1 && instances.get(0).isArray() && instances.get(0).size() > 0
        && instances.get(0).get(0).isArray() && instances.get(0).get(0).size() > 0 && instances.get(0).get(0).get(0).isNumber()
        ? new int[] {spec.inputHeight(), spec.inputWidth()}
        : new int[] {spec.inputHeight(), spec.inputWidth(), spec.inputChannels()};
    int offset = 0;
    for (int i = 0; i < instances.size(); i++) {
      offset = Json.flatten(instances.get(i), shape, 0, out, offset, "instance " + i + " (" + inputName + ")");
    }
    return new Batch(out, instances.size(), null);
  }

  private Batch decodeInJava(ModelSession session, List<byte[]> encoded) {
    ImagePreprocessor pre = new ImagePreprocessor(session.assets().preprocessing(), settings.maxImagePixels());
    NetworkSpec spec = session.spec();
    int pixels = spec.inputShape().pixels();
    float[] out = new float[encoded.size() * pixels];
    for (int i = 0; i < encoded.size(); i++) {
      try (DecodeBudget.Permit permit = decodeBudget.acquire(ImagePreprocessor.decodeBytes(encoded.get(i)))) {
        System.arraycopy(pre.toModelInput(encoded.get(i)), 0, out, i * pixels, pixels);
      } catch (ImageTooLargeException e) {
        throw new ApiException(ApiException.Problem.TOO_LARGE, "image " + i + ": " + e.getMessage());
      } catch (ImageDecodeException e) {
        throw ApiException.badRequest("image " + i + ": " + e.getMessage());
      }
    }
    return new Batch(out, encoded.size(), encoded);
  }

  private static boolean isPng(byte[] e) {
    return e.length >= 8 && (e[0] & 0xff) == 0x89 && e[1] == 'P' && e[2] == 'N' && e[3] == 'G';
  }

  private static boolean isJpeg(byte[] e) {
    return e.length >= 3 && (e[0] & 0xff) == 0xFF && (e[1] & 0xff) == 0xD8 && (e[2] & 0xff) == 0xFF;
  }

  /** Reads only the header: refuses non-images and images above the pixel limit before decoding. */
  private void checkImageHeader(byte[] encoded) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw ApiException.badRequest("not a PNG, JPEG, BMP, GIF or DICOM image");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > settings.maxImagePixels()) {
          throw new ApiException(ApiException.Problem.TOO_LARGE, "image has " + pixels + " pixels, more than the limit of " + settings.maxImagePixels());
        }
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      throw ApiException.badRequest("unreadable image: " + e.getMessage());
    }
  }

  private static byte[] base64(JsonNode instance) {
    JsonNode b64 = instance.isObject() ? instance.get("b64") : null;
    if (b64 == null || !b64.isTextual()) {
      throw ApiException.badRequest("binary inputs must be given as {\"b64\": \"<base64>\"}, got " + Json.describe(instance));
    }
    return decodeBase64(b64.asText(), "b64");
  }

  private static byte[] decodeBase64(String text, String what) {
    try {
      return Base64.getDecoder().decode(text.replace("\n", "").replace("\r", ""));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(what + " is not valid base64: " + e.getMessage());
    }
  }

  /** The explain signature through the scheduler; flip smoothing runs as one two-pass call. */
  private Explanation explanation(ServedVersion served, float[] pixels, int count, int[] classes, boolean smooth) {
    return await(smooth
        ? served.call(() -> org.ctnet.graph.runtime.Smoothing.flipAveraged(served.session(), pixels, count, classes))
        : served.explain(pixels, classes));
  }

  private static String firstLine(String message) {
    return message == null ? "invalid input" : message.lines().findFirst().orElse(message);
  }

  private <T> T await(java.util.concurrent.CompletableFuture<T> future) {
    try {
      return future.get(settings.requestTimeoutMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new ApiException(ApiException.Problem.TIMEOUT, "inference timed out after " + settings.requestTimeoutMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(ApiException.Problem.UNAVAILABLE, "interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ApiException api) {
        throw api;
      }
      if (cause instanceof IllegalArgumentException bad) {
        throw ApiException.badRequest(bad.getMessage());
      }
      if (cause instanceof org.tensorflow.exceptions.TFInvalidArgumentException bad) {
        // TF refused the input itself, e.g. a PNG whose header is fine but whose data is corrupt.
        throw ApiException.badRequest("the model could not use the input: " + firstLine(bad.getMessage()));
      }
      throw new ApiException(ApiException.Problem.INTERNAL, "inference failed: " + cause);
    }
  }
}
