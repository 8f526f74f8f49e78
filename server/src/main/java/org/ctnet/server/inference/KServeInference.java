package org.ctnet.server.inference;

import org.ctnet.graph.check.InputCheck;

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
      if (lease.version().predictor().hasLesionHead()) {
        for (String name : List.of(ModelNames.OUT_LESION_MAP, ModelNames.OUT_LUNG_MAP)) {
          outputs.addObject().put("name", name).put("datatype", "FP32")
              .set("shape", Json.MAPPER.valueToTree(List.of(-1, spec.inputHeight(), spec.inputWidth())));
        }
        outputs.addObject().put("name", ModelNames.OUT_LUNG_INVOLVEMENT).put("datatype", "FP32")
            .set("shape", Json.MAPPER.valueToTree(List.of(-1)));
        outputs.addObject().put("name", ModelNames.OUT_SEVERITY).put("datatype", "INT32")
            .set("shape", Json.MAPPER.valueToTree(List.of(-1)));
      }
      return out;
    }
  }

  /**
   * An infer answer: the JSON header, and the outputs asked for in binary (the binary tensor
   * extension), little-endian, in output order (empty when none were).
   */
  public record Answer(ObjectNode header, byte[] binary) {}

  /**
   * KServe v2 infer on a raw body. {@code headerLength} is the request's
   * {@code Inference-Header-Content-Length} (binary tensor extension: the first bytes are the JSON
   * header, the rest the inputs' binary data), or -1 for a JSON body; a JSON body whose one input is
   * a flat FP32 tensor takes the byte-level parser, anything else the general path.
   */
  public Answer infer(String model, String version, byte[] raw, int headerLength) {
    if (headerLength > raw.length) {
      throw ServingException.badRequest("Inference-Header-Content-Length " + headerLength + " exceeds the body's "
          + raw.length + " bytes");
    }
    try (ModelRepository.Lease lease = repository.acquire(model, version, null)) {
      if (headerLength >= 0) {
        JsonNode header = Json.parse(java.util.Arrays.copyOf(raw, headerLength));
        return infer(model, lease.version(), header,
            java.nio.ByteBuffer.wrap(raw, headerLength, raw.length - headerLength).slice().order(java.nio.ByteOrder.LITTLE_ENDIAN));
      }
      NetworkSpec spec = lease.version().predictor().spec();
      FastInstances.Parsed parsed = FastInstances.parseKserve(raw, spec.inputHeight(), spec.inputWidth(), spec.inputChannels(),
          settings.maxInstances());
      if (parsed != null) {
        return run(model, lease.version(), parsed.values(), parsed.count(), parsed.others());
      }
      return infer(model, lease.version(), Json.parse(raw), null);
    }
  }

  private Answer infer(String model, ServedVersion served, JsonNode body, java.nio.ByteBuffer binary) {
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
    JsonNode binarySize = input.path("parameters").path("binary_data_size");
    boolean inBinary = !binarySize.isMissingNode();
    if (inBinary) {
      if (binary == null) {
        throw ServingException.badRequest("inputs[0] has parameters.binary_data_size but the request has no "
            + "Inference-Header-Content-Length header (binary tensor extension)");
      }
      if (!binarySize.canConvertToLong() || binarySize.asLong() != binary.remaining()) {
        throw ServingException.badRequest("inputs[0].parameters.binary_data_size is " + binarySize + ", the binary data after "
            + "the header holds " + binary.remaining() + " bytes");
      }
    } else if (binary != null && binary.hasRemaining()) {
      throw ServingException.badRequest("binary data after the header, but no input has parameters.binary_data_size");
    }
    if (shape == null || !shape.isArray() || (!inBinary && (data == null || !data.isArray()))) {
      throw ServingException.badRequest("each input needs a 'shape' array and a 'data' array (or parameters.binary_data_size)");
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
      if (inBinary) {
        if (binary.remaining() != pixels.length * 4L) {
          throw ServingException.badRequest("inputs[0] has " + binary.remaining() + " bytes of FP32 data, the shape needs "
              + pixels.length * 4L);
        }
        binary.asFloatBuffer().get(pixels);
        for (int i = 0; i < pixels.length; i++) {
          if (!Float.isFinite(pixels[i])) {
            throw ServingException.badRequest("inputs[0] holds a non-finite value at " + i);
          }
        }
      } else if (data.size() > 0 && data.get(0).isArray()) {
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
      List<byte[]> encoded = new ArrayList<>();
      if (inBinary) {
        encoded.addAll(ImageInputs.lengthPrefixed(binary));
      } else {
        for (JsonNode d : data) {
          encoded.add(ImageInputs.decodeBase64(d.asText(), "inputs[0].data"));
        }
      }
      n = encoded.size();
      if (n < 1 || n > settings.maxInstances()) {
        throw ServingException.badRequest("BYTES input needs 1.." + settings.maxInstances() + " images, got " + n);
      }
      Batch b = this.inputs.decodeInJava(session, encoded);
      return run(model, served, b.pixels(), b.count(), body);
    } else {
      throw ServingException.badRequest("datatype must be FP32 or BYTES, got '" + datatype + "'");
    }
  }

  /** Every output an infer request may name: serving_default's and the explain signature's. */
  public static List<String> outputNames(Predictor model) {
    List<String> known = new ArrayList<>(List.of(ModelNames.OUT_PROBABILITIES, ModelNames.OUT_LOGITS, ModelNames.OUT_TARGET_CLASS));
    if (model.hasLesionHead()) {
      known.addAll(ModelNames.LESION_OUTPUTS);
    }
    known.add(ModelNames.OUT_INPUT_CHECK); // BYTES [n]: each image's input check, when named
    for (CamMethod m : model.camMethods()) {
      known.addAll(List.of(m.key() + ModelNames.OUT_HEATMAP_SUFFIX, m.key() + ModelNames.OUT_CAM_SUFFIX,
          m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX));
    }
    return known;
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
  private Answer run(String model, ServedVersion served, float[] pixels, int n, JsonNode body) {
    List<String> wanted = wantedOutputs(body);
    List<String> known = outputNames(served.predictor());
    for (String w : wanted) {
      if (!known.contains(w)) {
        throw ServingException.badRequest("unknown output '" + w + "'; outputs are " + String.join(", ", known));
      }
    }

    boolean explain = wanted.stream().anyMatch(w -> !w.equals(ModelNames.OUT_PROBABILITIES) && !w.equals(ModelNames.OUT_LOGITS)
        && !ModelNames.LESION_OUTPUTS.contains(w) && !w.equals(ModelNames.OUT_INPUT_CHECK));
    List<InputCheck.Result> checks = wanted.contains(ModelNames.OUT_INPUT_CHECK)
        ? ImageInputs.checks(served.predictor(), pixels, n) : null;
    if (!explain) {
      return response(model, served, calls.await(served.predict(pixels, n)), null, n, body, checks);
    }
    int classIndex = -1;
    JsonNode requested = body.path("parameters").path("class_index");
    if (!requested.isMissingNode()) {
      // -1 as in TF Serving's explain: the class served as the label.
      if (!requested.canConvertToInt() || !requested.isIntegralNumber() || requested.asInt() < -1
          || requested.asInt() >= served.predictor().spec().numClasses()) {
        throw ServingException.badRequest("parameters.class_index must be -1 (the class served as the label) or a class "
            + "index 0.." + (served.predictor().spec().numClasses() - 1) + ", got " + requested);
      }
      classIndex = requested.asInt();
    }
    int[] classes = new int[n];
    java.util.Arrays.fill(classes, classIndex);
    Explanation e = calls.explanation(served, pixels, n, classes, false);
    return response(model, served, e.prediction(), e, n, body, checks);
  }

  /**
   * The KServe v2 infer response, honouring the request's {@code outputs} filter and {@code id}; outputs
   * asked for in binary ({@code parameters.binary_data_output}, or an output's {@code parameters.binary_data})
   * go after the JSON header, each with its {@code binary_data_size}.
   */
  private Answer response(String model, ServedVersion served, Prediction p, Explanation explained, int n, JsonNode body,
      List<InputCheck.Result> checks) {
    List<String> wanted = wantedOutputs(body);
    ObjectNode out = Json.object();
    out.put("model_name", model);
    out.put("model_version", Long.toString(served.version()));
    if (body.has("id")) {
      out.set("id", body.get("id"));
    }
    int classes = served.predictor().spec().numClasses();
    ArrayNode outputs = out.putArray("outputs");
    Outputs writer = new Outputs(outputs, body);
    for (var e : Map.of(ModelNames.OUT_PROBABILITIES, p.probabilities(), ModelNames.OUT_LOGITS, p.logits()).entrySet()
        .stream().sorted(Map.Entry.comparingByKey(java.util.Comparator.reverseOrder())).toList()) {
      if (!wanted.isEmpty() && !wanted.contains(e.getKey())) {
        continue;
      }
      writer.floats(e.getKey(), List.of(n, classes), e.getValue());
    }
    if (p.lesion() != null) {
      // By default the scalars; the maps (n × H × W floats each) when asked for by name.
      var l = p.lesion();
      if (wanted.isEmpty() || wanted.contains(ModelNames.OUT_LUNG_INVOLVEMENT)) {
        writer.floats(ModelNames.OUT_LUNG_INVOLVEMENT, List.of(n), new float[][] {l.involvement()});
      }
      if (wanted.isEmpty() || wanted.contains(ModelNames.OUT_SEVERITY)) {
        writer.ints(ModelNames.OUT_SEVERITY, List.of(n), l.severity());
      }
      if (wanted.contains(ModelNames.OUT_LESION_MAP)) {
        writer.floats(ModelNames.OUT_LESION_MAP, List.of(n, l.height(), l.width()), l.lesionMaps());
      }
      if (wanted.contains(ModelNames.OUT_LUNG_MAP)) {
        writer.floats(ModelNames.OUT_LUNG_MAP, List.of(n, l.height(), l.width()), l.lungMaps());
      }
    }
    if (checks != null) {
      writer.strings(ModelNames.OUT_INPUT_CHECK, List.of(n), served.withOutOfDistribution(checks, p).stream()
          .map(InputCheck.Result::code).toList());
    }
    if (explained != null) {
      Explanation e = explained;
      for (String w : wanted) {
        if (w.equals(ModelNames.OUT_TARGET_CLASS)) {
          writer.ints(w, List.of(n), e.targetClass());
          continue;
        }
        for (CamMethod m : served.predictor().camMethods()) {
          Explanation.Maps maps = e.maps().get(m);
          if (w.equals(m.key() + ModelNames.OUT_HEATMAP_SUFFIX)) {
            writer.floats(w, List.of(n, maps.height(), maps.width()), maps.heatmap());
          } else if (w.equals(m.key() + ModelNames.OUT_CAM_SUFFIX)) {
            writer.floats(w, List.of(n, maps.camHeight(), maps.camWidth()), maps.cam());
          } else if (w.equals(m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX)) {
            writer.bools(w, List.of(n), maps.hasEvidence());
          }
        }
      }
    }
    return new Answer(out, writer.binary.toByteArray());
  }

  /** Writes outputs as JSON data, or as little-endian bytes after the header when the request asks for binary. */
  private static final class Outputs {
    private final ArrayNode outputs;
    private final JsonNode request;
    final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

    Outputs(ArrayNode outputs, JsonNode request) {
      this.outputs = outputs;
      this.request = request;
    }

    private boolean inBinary(String name) {
      if (request.path("parameters").path("binary_data_output").asBoolean(false)) {
        return true;
      }
      for (JsonNode o : request.path("outputs")) {
        if (o.path("name").asText().equals(name)) {
          return o.path("parameters").path("binary_data").asBoolean(false);
        }
      }
      return false;
    }

    private ObjectNode start(String name, String type, List<Integer> shape) {
      ObjectNode o = outputs.addObject().put("name", name).put("datatype", type);
      o.set("shape", Json.MAPPER.valueToTree(shape));
      return o;
    }

    void floats(String name, List<Integer> shape, float[][] rows) {
      ObjectNode o = start(name, "FP32", shape);
      if (inBinary(name)) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(rows.length * (rows.length == 0 ? 0 : rows[0].length) * 4)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float[] row : rows) {
          for (float v : row) {
            b.putFloat(v);
          }
        }
        appendBinary(o, b.array());
        return;
      }
      ArrayNode data = o.putArray("data");
      for (float[] row : rows) {
        for (float v : row) {
          data.add(v);
        }
      }
    }

    void ints(String name, List<Integer> shape, int[] values) {
      ObjectNode o = start(name, "INT32", shape);
      if (inBinary(name)) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
          b.putInt(v);
        }
        appendBinary(o, b.array());
        return;
      }
      ArrayNode data = o.putArray("data");
      for (int v : values) {
        data.add(v);
      }
    }

    /** BYTES: JSON strings, or in binary each as a 4-byte little-endian length and its UTF-8 bytes. */
    void strings(String name, List<Integer> shape, List<String> values) {
      ObjectNode o = start(name, "BYTES", shape);
      if (inBinary(name)) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (String v : values) {
          byte[] utf8 = v.getBytes(java.nio.charset.StandardCharsets.UTF_8);
          bytes.writeBytes(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
          bytes.writeBytes(utf8);
        }
        appendBinary(o, bytes.toByteArray());
        return;
      }
      ArrayNode data = o.putArray("data");
      values.forEach(data::add);
    }

    void bools(String name, List<Integer> shape, boolean[] values) {
      ObjectNode o = start(name, "BOOL", shape);
      if (inBinary(name)) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
          b[i] = (byte) (values[i] ? 1 : 0);
        }
        appendBinary(o, b);
        return;
      }
      ArrayNode data = o.putArray("data");
      for (boolean v : values) {
        data.add(v);
      }
    }

    private void appendBinary(ObjectNode output, byte[] bytes) {
      output.putObject("parameters").put("binary_data_size", bytes.length);
      binary.writeBytes(bytes);
    }
  }
}
