package org.ctnet.server.inference;

import org.ctnet.graph.check.InputCheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.ModelNames;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.inference.ImageInputs.Batch;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.ServedVersion;
import org.tensorflow.Signature;

/**
 * TF Serving's REST API: model status and metadata, :predict on serving_default or serving_bytes,
 * and :explain, run through the served version's scheduler.
 */
public final class TfServingInference {
  private final ModelRepository repository;
  private final ServerSettings settings;
  private final ImageInputs inputs;
  private final SchedulerCalls calls;

  public TfServingInference(ModelRepository repository, ServerSettings settings, ImageInputs inputs, SchedulerCalls calls) {
    this.repository = repository;
    this.settings = settings;
    this.inputs = inputs;
    this.calls = calls;
  }

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
          } catch (ServingException e) {
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
        throw ServingException.notFound("Unrecognized servable version label: " + label);
      }
    } else if (version != null) {
      if (!version.matches("[0-9]{1,18}")) {
        throw ServingException.badRequest("model version must be a positive integer, got '" + version + "'");
      }
      only = Long.parseLong(version);
      if (!statuses.containsKey(only)) {
        throw ServingException.notFound("Could not find version " + version + " of model " + model);
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
      for (Map.Entry<String, Signature> e : lease.version().predictor().signatures().entrySet()) {
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


  /**
   * :predict on a raw body: float rows take the byte-level parser ({@link FastInstances}), any other
   * body the general JSON path, which also writes the detailed errors. One lease for both.
   */
  public JsonNode predict(String model, String version, String label, byte[] body) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, label)) {
      FastInstances.Parsed parsed = fastInstances(lease.version().predictor().spec(), body);
      if (parsed != null && isDefaultSignature(parsed.others().get("signature_name"))) {
        Predictor session = lease.version().predictor();
        List<InputCheck.Result> checks = ImageInputs.wantsChecks(parsed.others().get(ModelNames.OUT_INPUT_CHECK))
            ? ImageInputs.checks(session, parsed.values(), parsed.count()) : null;
        Prediction p = calls.await(lease.version().predict(parsed.values(), parsed.count()));
        return predictionResponse(p, false, lease.version().withOutOfDistribution(checks, p));
      }
      return predict(lease.version(), Json.parse(body));
    }
  }

  private JsonNode predict(ServedVersion served, JsonNode body) {
    RequestBody request = RequestBody.parse(body, settings.maxInstances());
    String signature = request.signature() == null ? ModelNames.SERVING_DEFAULT : request.signature();
    boolean check = ImageInputs.wantsChecks(body.get(ModelNames.OUT_INPUT_CHECK));
    List<InputCheck.Result> checks = null;
    Prediction p;
    switch (signature) {
      case ModelNames.SERVING_DEFAULT -> {
        Batch b = inputs.images(served.predictor(), request, ModelNames.IN_IMAGES);
        checks = check ? ImageInputs.checks(served.predictor(), b.pixels(), b.count()) : null;
        p = calls.await(served.predict(b.pixels(), b.count()));
      }
      case ModelNames.SERVING_BYTES -> {
        if (check) {
          List<byte[]> encoded = new ArrayList<>();
          for (JsonNode instance : request.instances(ModelNames.IN_IMAGE_BYTES)) {
            encoded.add(ImageInputs.base64(instance));
          }
          Batch b = inputs.decodeInJava(served.predictor(), encoded);
          checks = ImageInputs.checks(served.predictor(), b.pixels(), b.count());
        }
        p = predictEncoded(served, request);
      }
      default -> throw ServingException.badRequest("signature_name '" + signature + "' cannot be used with :predict here; use "
          + ModelNames.SERVING_DEFAULT + " or " + ModelNames.SERVING_BYTES
          + (signature.equals(ModelNames.EXPLAIN) ? " (or POST :explain)" : ""));
    }
    return predictionResponse(p, request.columnar(), served.withOutOfDistribution(checks, p));
  }

  /** :explain on a raw body, like {@link #predict}; the body's other members are the explain options. */
  public JsonNode explain(String model, String version, String label, byte[] body) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, label)) {
      ServedVersion served = lease.version();
      FastInstances.Parsed parsed = fastInstances(served.predictor().spec(), body);
      JsonNode signature = parsed == null ? null : parsed.others().get("signature_name");
      if (parsed != null && (signature == null || signature.isTextual())) {
        return explainImages(served, parsed.values(), parsed.count(), parsed.others());
      }
      JsonNode tree = Json.parse(body);
      RequestBody request = RequestBody.parse(tree, settings.maxInstances());
      Batch b = inputs.images(served.predictor(), request, ModelNames.IN_IMAGES);
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
    return predictionResponse(p, columnar, null);
  }

  /**
   * TF Serving's answer, and with {@code checks} (asked for with {@code "input_check": true}) each
   * instance's input check beside its outputs: {@code ok} or the reasons, never changing them.
   */
  private JsonNode predictionResponse(Prediction p, boolean columnar, List<InputCheck.Result> checks) {
    ObjectNode out = Json.object();
    if (columnar) {
      ObjectNode outputs = out.putObject("outputs");
      outputs.set(ModelNames.OUT_PROBABILITIES, Json.matrix(p.probabilities()));
      outputs.set(ModelNames.OUT_LOGITS, Json.matrix(p.logits()));
      if (p.lesion() != null) {
        var l = p.lesion();
        ArrayNode lesion = outputs.putArray(ModelNames.OUT_LESION_MAP);
        ArrayNode lung = outputs.putArray(ModelNames.OUT_LUNG_MAP);
        for (int i = 0; i < p.size(); i++) {
          lesion.add(Json.grid(l.lesionMaps()[i], l.height(), l.width()));
          lung.add(Json.grid(l.lungMaps()[i], l.height(), l.width()));
        }
        outputs.set(ModelNames.OUT_LUNG_INVOLVEMENT, Json.row(l.involvement()));
        ArrayNode severity = outputs.putArray(ModelNames.OUT_SEVERITY);
        for (int s : l.severity()) {
          severity.add(s);
        }
      }
    } else {
      ArrayNode predictions = out.putArray("predictions");
      for (int i = 0; i < p.size(); i++) {
        ObjectNode row = predictions.addObject();
        row.set(ModelNames.OUT_PROBABILITIES, Json.row(p.probabilities()[i]));
        row.set(ModelNames.OUT_LOGITS, Json.row(p.logits()[i]));
        if (p.lesion() != null) {
          // TF Serving answers every output of the signature: the lesion head's too.
          var l = p.lesion();
          row.set(ModelNames.OUT_LESION_MAP, Json.grid(l.lesionMaps()[i], l.height(), l.width()));
          row.set(ModelNames.OUT_LUNG_MAP, Json.grid(l.lungMaps()[i], l.height(), l.width()));
          row.put(ModelNames.OUT_LUNG_INVOLVEMENT, l.involvement()[i]);
          row.put(ModelNames.OUT_SEVERITY, l.severity()[i]);
        }
      }
    }
    if (checks != null) {
      if (columnar) {
        ArrayNode codes = ((ObjectNode) out.get("outputs")).putArray(ModelNames.OUT_INPUT_CHECK);
        checks.forEach(c -> codes.add(c.code()));
      } else {
        for (int i = 0; i < checks.size(); i++) {
          ((ObjectNode) out.get("predictions").get(i)).put(ModelNames.OUT_INPUT_CHECK, checks.get(i).code());
        }
      }
    }
    return out;
  }

  private Prediction predictEncoded(ServedVersion served, RequestBody request) {
    List<byte[]> encoded = new ArrayList<>();
    for (JsonNode instance : request.instances(ModelNames.IN_IMAGE_BYTES)) {
      encoded.add(ImageInputs.base64(instance));
    }
    return inputs.predictEncoded(served, encoded, calls);
  }

  /** Explains count images ([n,H,W,C] flattened) with the options found in {@code options}. */
  private JsonNode explainImages(ServedVersion served, float[] pixels, int count, JsonNode optionsBody) {
    Predictor session = served.predictor();
    ExplainOptions options = ExplainOptions.from(optionsBody, session.spec());
    int[] classes = options.classIndices(count, session.spec().numClasses());
    Explanation e = calls.explanation(served, pixels, count, classes, options.smooth());
    ObjectNode out = (ObjectNode) predictionResponse(e.prediction(), false);
    ArrayNode explanations = out.putArray("explanations");
    for (int i = 0; i < count; i++) {
      explanations.add(ExplanationJson.of(session, e, i, pixels, options));
    }
    return out;
  }

}
