package org.ctnet.server.inference;

import org.ctnet.graph.check.InputCheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.inference.ImageInputs.Batch;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.ServedVersion;
import org.tensorflow.Signature;

/**
 * TF Serving over REST: model status and metadata, :predict on serving_default or serving_bytes, and
 * :explain, read from JSON (float rows take the byte-level parser) and answered as JSON. Only the wire
 * is here; the signatures, counts, class checks and input checks are {@link TfServingOperations}'.
 */
public final class TfServingJson {
  private final TfServingOperations operations;
  private final ServerSettings settings;
  private final ImageInputs inputs;

  public TfServingJson(TfServingOperations operations, ServerSettings settings, ImageInputs inputs) {
    this.operations = operations;
    this.settings = settings;
    this.inputs = inputs;
  }

  /** Status of every model with the devices each served version runs on (GET /api/models). */
  public JsonNode overview() {
    ObjectNode out = Json.object();
    for (String m : operations.models()) {
      ObjectNode entry = (ObjectNode) status(m, null, null);
      ObjectNode devices = entry.putObject("devices");
      operations.devices(m).forEach((version, names) -> devices.set(Long.toString(version),
          Json.MAPPER.valueToTree(names)));
      out.set(m, entry);
    }
    return out;
  }

  public JsonNode status(String model, String version, String label) {
    ArrayNode list = Json.array();
    for (ModelRepository.VersionStatus s : operations.statuses(model, version, label)) {
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
    return operations.onVersion(model, version, label, served -> {
      ObjectNode out = Json.object();
      out.putObject("model_spec").put("name", model).put("signature_name", "")
          .put("version", Long.toString(served.version()));
      ObjectNode defs = out.putObject("metadata").putObject("signature_def").putObject("signature_def");
      for (Map.Entry<String, Signature> e : served.predictor().signatures().entrySet()) {
        ObjectNode def = defs.putObject(e.getKey());
        tensorInfo(def.putObject("inputs"), e.getValue().getInputs());
        tensorInfo(def.putObject("outputs"), e.getValue().getOutputs());
        def.put("method_name", e.getValue().methodName());
      }
      return out;
    });
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
    return operations.onVersion(model, version, label, served -> {
      FastJson.Parsed parsed = fastInstances(served.predictor().spec(), body);
      if (parsed != null && isDefaultSignature(parsed.others().get("signature_name"))) {
        boolean checks = ImageInputs.wantsChecks(parsed.others().get(ModelNames.OUT_INPUT_CHECK));
        var p = operations.predict(served, new Images.Pixels(parsed.values(), parsed.count()), checks);
        return predictionResponse(p.prediction(), false, p.checks());
      }
      return predict(served, Json.parse(body));
    });
  }

  private JsonNode predict(ServedVersion served, JsonNode body) {
    RequestBody request = RequestBody.parse(body, settings.maxInstances());
    String signature = TfServingOperations.signature(request.signature(), false);
    boolean check = ImageInputs.wantsChecks(body.get(ModelNames.OUT_INPUT_CHECK));
    Images images;
    if (signature.equals(ModelNames.SERVING_DEFAULT)) {
      Batch b = inputs.images(served.predictor(), request, ModelNames.IN_IMAGES);
      images = new Images.Pixels(b.pixels(), b.count());
    } else {
      List<byte[]> encoded = new ArrayList<>();
      for (JsonNode instance : request.instances(ModelNames.IN_IMAGE_BYTES)) {
        encoded.add(ImageInputs.base64(instance));
      }
      images = new Images.Encoded(encoded);
    }
    var p = operations.predict(served, images, check);
    return predictionResponse(p.prediction(), request.columnar(), p.checks());
  }

  /** :explain on a raw body, like {@link #predict}; the body's other members are the explain options. */
  public JsonNode explain(String model, String version, String label, byte[] body) {
    return operations.onVersion(model, version, label, served -> {
      FastJson.Parsed parsed = fastInstances(served.predictor().spec(), body);
      JsonNode signature = parsed == null ? null : parsed.others().get("signature_name");
      if (parsed != null && (signature == null || signature.isTextual())) {
        return explainImages(served, new Images.Pixels(parsed.values(), parsed.count()), parsed.others());
      }
      JsonNode tree = Json.parse(body);
      RequestBody request = RequestBody.parse(tree, settings.maxInstances());
      Batch b = inputs.images(served.predictor(), request, ModelNames.IN_IMAGES);
      return explainImages(served, new Images.Pixels(b.pixels(), b.count()), tree);
    });
  }

  private FastJson.Parsed fastInstances(NetworkSpec spec, byte[] body) {
    FastJson.Parsed parsed = FastInstances.parse(body, spec.inputHeight(), spec.inputWidth(), spec.inputChannels(),
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

  /** Explains the images with the options found in {@code optionsBody}. */
  private JsonNode explainImages(ServedVersion served, Images.Pixels images, JsonNode optionsBody) {
    Predictor session = served.predictor();
    ExplainOptions options = ExplainOptions.from(optionsBody, session.spec());
    int[] classes = options.classIndices(images.count(), session.spec().numClasses());
    Explanation e = operations.explain(served, images, classes, options.smooth());
    ObjectNode out = (ObjectNode) predictionResponse(e.prediction(), false);
    ArrayNode explanations = out.putArray("explanations");
    for (int i = 0; i < images.count(); i++) {
      explanations.add(ExplanationJson.of(session, e, i, images.values(), options));
    }
    return out;
  }
}
