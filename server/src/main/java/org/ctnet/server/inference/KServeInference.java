package org.ctnet.server.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.inference.ImageInputs.Batch;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.ServedVersion;

/**
 * KServe's Open Inference Protocol (v2): model metadata and infer, with the explain signature's
 * outputs available by name.
 */
public final class KServeInference {
  private final ModelRepository repository;
  private final ServerSettings settings;
  private final ImageInputs inputs;
  private final SchedulerCalls calls;

  public KServeInference(ModelRepository repository, ServerSettings settings, ImageInputs inputs, SchedulerCalls calls) {
    this.repository = repository;
    this.settings = settings;
    this.inputs = inputs;
    this.calls = calls;
  }

  public JsonNode model(String model, String version) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      ObjectNode out = Json.object();
      out.put("name", model);
      ArrayNode versions = out.putArray("versions");
      repository.status(model).values().stream().filter(s -> s.state().equals("AVAILABLE"))
          .forEach(s -> versions.add(Long.toString(s.version())));
      out.put("platform", "tensorflow_savedmodel");
      out.putObject("parameters").set("devices", Json.MAPPER.valueToTree(lease.version().devices()));
      NetworkSpec spec = lease.version().predictor().spec();
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
  public JsonNode infer(String model, String version, byte[] raw) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      NetworkSpec spec = lease.version().predictor().spec();
      FastInstances.Parsed parsed = FastInstances.parseKserve(raw, spec.inputHeight(), spec.inputWidth(), spec.inputChannels(),
          settings.maxInstances());
      if (parsed != null) {
        return run(model, lease.version(), parsed.values(), parsed.count(), parsed.others());
      }
      return infer(model, lease.version(), Json.parse(raw));
    }
  }

  private JsonNode infer(String model, ServedVersion served, JsonNode body) {
    Predictor session = served.predictor();
    NetworkSpec spec = session.spec();
    JsonNode inputs = body.get("inputs");
    if (inputs == null || !inputs.isArray() || inputs.size() != 1) {
      throw ServingException.badRequest("inputs must be a list with one tensor: '" + ModelNames.IN_IMAGES + "' (FP32) or '"
          + ModelNames.IN_IMAGE_BYTES + "' (BYTES)");
    }
    JsonNode input = inputs.get(0);
    String datatype = input.path("datatype").asText("");
    JsonNode shape = input.get("shape");
    JsonNode data = input.get("data");
    if (shape == null || !shape.isArray() || data == null || !data.isArray()) {
      throw ServingException.badRequest("each input needs 'shape' and 'data' arrays");
    }
    Prediction p;
    int n;
    for (JsonNode dim : shape) {
      if (!dim.canConvertToInt() || !dim.isIntegralNumber()) {
        throw ServingException.badRequest("inputs[0].shape must hold integers in the int32 range, got " + shape);
      }
    }
    if (datatype.equals("FP32")) {
      int[] expected = {shape.path(0).asInt(-1), spec.inputHeight(), spec.inputWidth(), spec.inputChannels()};
      if (shape.size() != 4 || expected[0] < 1 || expected[0] > settings.maxInstances()
          || shape.get(1).asInt() != expected[1] || shape.get(2).asInt() != expected[2] || shape.get(3).asInt() != expected[3]) {
        throw ServingException.badRequest("FP32 input shape must be [n, " + expected[1] + ", " + expected[2] + ", "
            + expected[3] + "] with 1 <= n <= " + settings.maxInstances() + ", got " + shape);
      }
      n = expected[0];
      float[] pixels = new float[n * expected[1] * expected[2] * expected[3]];
      JsonNode flat = data;
      if (data.size() > 0 && data.get(0).isArray()) {
        Json.flatten(data, expected, 0, pixels, 0, "inputs[0].data");
      } else {
        if (flat.size() != pixels.length) {
          throw ServingException.badRequest("inputs[0].data has " + flat.size() + " values, shape needs " + pixels.length);
        }
        for (int i = 0; i < pixels.length; i++) {
          if (!flat.get(i).isNumber()) {
            throw ServingException.badRequest("inputs[0].data[" + i + "] is not a number");
          }
          pixels[i] = Json.finiteFloat(flat.get(i), "inputs[0].data[" + i + "]");
        }
      }
      return run(model, served, pixels, n, body);
    } else if (datatype.equals("BYTES")) {
      n = data.size();
      if (n < 1 || n > settings.maxInstances()) {
        throw ServingException.badRequest("BYTES input needs 1.." + settings.maxInstances() + " base64 strings, got " + n);
      }
      List<byte[]> encoded = new ArrayList<>();
      for (JsonNode d : data) {
        encoded.add(ImageInputs.decodeBase64(d.asText(), "inputs[0].data"));
      }
      Batch b = this.inputs.decodeInJava(session, encoded);
      return run(model, served, b.pixels(), b.count(), body);
    } else {
      throw ServingException.badRequest("datatype must be FP32 or BYTES, got '" + datatype + "'");
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
  private JsonNode run(String model, ServedVersion served, float[] pixels, int n, JsonNode body) {
    List<String> wanted = wantedOutputs(body);
    List<String> known = new ArrayList<>(List.of(ModelNames.OUT_PROBABILITIES, ModelNames.OUT_LOGITS, ModelNames.OUT_TARGET_CLASS));
    for (CamMethod m : served.predictor().camMethods()) {
      known.addAll(List.of(m.key() + ModelNames.OUT_HEATMAP_SUFFIX, m.key() + ModelNames.OUT_CAM_SUFFIX,
          m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX));
    }
    for (String w : wanted) {
      if (!known.contains(w)) {
        throw ServingException.badRequest("unknown output '" + w + "'; outputs are " + String.join(", ", known));
      }
    }

    boolean explain = wanted.stream().anyMatch(w -> !w.equals(ModelNames.OUT_PROBABILITIES) && !w.equals(ModelNames.OUT_LOGITS));
    if (!explain) {
      return response(model, served, calls.await(served.predict(pixels, n)), null, n, body);
    }
    int classIndex = -1;
    JsonNode requested = body.path("parameters").path("class_index");
    if (!requested.isMissingNode()) {
      if (!requested.canConvertToInt() || !requested.isIntegralNumber() || requested.asInt() < 0
          || requested.asInt() >= served.predictor().spec().numClasses()) {
        throw ServingException.badRequest("parameters.class_index must be a class index 0.." + (served.predictor().spec().numClasses() - 1)
            + ", got " + requested);
      }
      classIndex = requested.asInt();
    }
    int[] classes = new int[n];
    java.util.Arrays.fill(classes, classIndex);
    Explanation e = calls.await(served.explain(pixels, classes));
    return response(model, served, e.prediction(), e, n, body);
  }

  /** The KServe v2 infer response, honouring the request's {@code outputs} filter and {@code id}. */
  private JsonNode response(String model, ServedVersion served, Prediction p, Explanation explained, int n, JsonNode body) {
    List<String> wanted = wantedOutputs(body);
    ObjectNode out = Json.object();
    out.put("model_name", model);
    out.put("model_version", Long.toString(served.version()));
    if (body.has("id")) {
      out.set("id", body.get("id"));
    }
    int classes = served.predictor().spec().numClasses();
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
        for (CamMethod m : served.predictor().camMethods()) {
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

}
