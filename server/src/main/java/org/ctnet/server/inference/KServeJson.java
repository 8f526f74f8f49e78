package org.ctnet.server.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ServedVersion;

/**
 * KServe v2 over REST: reads a JSON body (or a JSON header and the binary tensor extension's bytes)
 * into {@link Images}, runs {@link KServeOperations#infer}, writes the tensors as JSON or binary.
 * Only the wire is here; the checks and outputs are the operations'.
 */
public final class KServeJson {
  /**
   * An infer answer: the JSON header, and the outputs asked for in binary (the binary tensor
   * extension), little-endian, in output order (empty when none were).
   */
  public record Answer(ObjectNode header, byte[] binary) {}

  private final KServeOperations operations;
  private final int maxInstances;

  public KServeJson(KServeOperations operations, int maxInstances) {
    this.operations = operations;
    this.maxInstances = maxInstances;
  }

  public boolean ready(String model, String version) {
    return operations.ready(model, version);
  }

  public JsonNode model(String model, String version) {
    KServeOperations.Metadata m = operations.metadata(model, version);
    ObjectNode out = Json.object();
    out.put("name", m.name());
    ArrayNode versions = out.putArray("versions");
    m.versions().forEach(versions::add);
    out.put("platform", "tensorflow_savedmodel");
    out.putObject("parameters").set("devices", Json.MAPPER.valueToTree(m.devices()));
    tensors(out.putArray("inputs"), m.inputs());
    tensors(out.putArray("outputs"), m.outputs());
    return out;
  }

  private static void tensors(ArrayNode target, List<KServeOperations.TensorSpec> specs) {
    for (KServeOperations.TensorSpec t : specs) {
      target.addObject().put("name", t.name()).put("datatype", t.datatype())
          .set("shape", Json.MAPPER.valueToTree(t.shape()));
    }
  }

  /**
   * Infer on a raw body. {@code headerLength} is the request's {@code Inference-Header-Content-Length}
   * (binary tensor extension: the first bytes are the JSON header, the rest the inputs' binary data),
   * or -1 for a JSON body; a JSON body whose one input is a flat FP32 tensor takes the byte-level
   * parser, anything else the general path.
   */
  public Answer infer(String model, String version, byte[] raw, int headerLength) {
    if (headerLength > raw.length) {
      throw ServingException.badRequest("Inference-Header-Content-Length " + headerLength + " exceeds the body's "
          + raw.length + " bytes");
    }
    return operations.onVersion(model, version, served -> {
      if (headerLength >= 0) {
        JsonNode header = Json.parse(Arrays.copyOf(raw, headerLength));
        ByteBuffer binary = ByteBuffer.wrap(raw, headerLength, raw.length - headerLength).slice()
            .order(ByteOrder.LITTLE_ENDIAN);
        return answer(model, served, header, images(served.predictor().spec(), header, binary));
      }
      NetworkSpec spec = served.predictor().spec();
      FastKServe.Parsed parsed = FastKServe.parse(raw, spec.inputHeight(), spec.inputWidth(), spec.inputChannels(),
          maxInstances);
      if (parsed != null) {
        return answer(model, served, parsed.others(), new Images.Pixels(parsed.values(), parsed.count()));
      }
      JsonNode body = Json.parse(raw);
      return answer(model, served, body, images(spec, body, null));
    });
  }

  private Answer answer(String model, ServedVersion served, JsonNode body, Images images) {
    List<String> wanted = new ArrayList<>();
    if (body.has("outputs") && body.get("outputs").isArray()) {
      body.get("outputs").forEach(o -> wanted.add(o.path("name").asText()));
    }
    JsonNode requested = body.path("parameters").path("class_index");
    Object classIndex = requested.isMissingNode() ? null
        : requested.isIntegralNumber() && requested.canConvertToLong() ? (Object) requested.asLong() : requested.toString();
    List<NamedTensor> tensors = operations.infer(served, images, wanted, classIndex);
    ObjectNode out = Json.object();
    out.put("model_name", model);
    out.put("model_version", Long.toString(served.version()));
    if (body.has("id")) {
      out.set("id", body.get("id"));
    }
    ArrayNode outputs = out.putArray("outputs");
    ByteArrayOutputStream binary = new ByteArrayOutputStream();
    for (NamedTensor t : tensors) {
      ObjectNode o = outputs.addObject().put("name", t.name()).put("datatype", t.datatype());
      o.set("shape", Json.MAPPER.valueToTree(t.shape()));
      if (inBinary(body, t.name())) {
        byte[] bytes = littleEndian(t);
        o.putObject("parameters").put("binary_data_size", bytes.length);
        binary.writeBytes(bytes);
      } else {
        o.set("data", data(t));
      }
    }
    return new Answer(out, binary.toByteArray());
  }

  /** The one input, read from JSON data or from the binary data after the header. */
  private Images images(NetworkSpec spec, JsonNode body, ByteBuffer binary) {
    JsonNode inputs = body.get("inputs");
    if (inputs == null || !inputs.isArray()) {
      throw ServingException.badRequest("inputs must be a list with one tensor");
    }
    KServeOperations.checkInputCount(inputs.size());
    JsonNode input = inputs.get(0);
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
        throw ServingException.badRequest("inputs[0].parameters.binary_data_size is " + binarySize + ", the binary data "
            + "after the header holds " + binary.remaining() + " bytes");
      }
    } else if (binary != null && binary.hasRemaining()) {
      throw ServingException.badRequest("binary data after the header, but no input has parameters.binary_data_size");
    }
    if (shape == null || !shape.isArray() || (!inBinary && (data == null || !data.isArray()))) {
      throw ServingException.badRequest("each input needs a 'shape' array and a 'data' array (or parameters.binary_data_size)");
    }
    List<Long> dims = new ArrayList<>();
    for (JsonNode dim : shape) {
      if (!dim.canConvertToInt() || !dim.isIntegralNumber()) {
        throw ServingException.badRequest("inputs[0].shape must hold integers in the int32 range, got " + shape);
      }
      dims.add(dim.asLong());
    }
    int n = operations.checkInput(spec, input.path("name").asText(""), input.path("datatype").asText(""), dims);
    if (n < 0) {
      List<byte[]> encoded = new ArrayList<>();
      if (inBinary) {
        encoded.addAll(ImageInputs.lengthPrefixed(binary));
      } else {
        for (JsonNode d : data) {
          encoded.add(ImageInputs.decodeBase64(d.asText(), "inputs[0].data"));
        }
      }
      return new Images.Encoded(encoded);
    }
    int[] expected = {n, spec.inputHeight(), spec.inputWidth(), spec.inputChannels()};
    long length = (long) n * spec.inputShape().pixels();
    float[] pixels;
    if (inBinary) {
      if (binary.remaining() != length * 4) {
        throw ServingException.badRequest("inputs[0] has " + binary.remaining() + " bytes of FP32 data, the shape needs "
            + length * 4);
      }
      pixels = new float[(int) length];
      binary.asFloatBuffer().get(pixels);
    } else if (data.size() > 0 && data.get(0).isArray()) {
      pixels = new float[(int) length];
      Json.flatten(data, expected, 0, pixels, 0, "inputs[0].data");
    } else {
      pixels = new float[data.size()];
      for (int i = 0; i < pixels.length; i++) {
        if (!data.get(i).isNumber()) {
          throw ServingException.badRequest("inputs[0].data[" + i + "] is not a number");
        }
        pixels[i] = Json.finiteFloat(data.get(i), "inputs[0].data[" + i + "]");
      }
    }
    return new Images.Pixels(KServeOperations.checkedPixels(pixels, length), n);
  }

  private static boolean inBinary(JsonNode request, String name) {
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

  private static ArrayNode data(NamedTensor t) {
    ArrayNode data = Json.array();
    switch (t) {
      case NamedTensor.Floats f -> {
        for (float v : f.values()) {
          data.add(v);
        }
      }
      case NamedTensor.Ints i -> {
        for (int v : i.values()) {
          data.add(v);
        }
      }
      case NamedTensor.Bools b -> {
        for (boolean v : b.values()) {
          data.add(v);
        }
      }
      case NamedTensor.Strings s -> s.values().forEach(data::add);
    }
    return data;
  }

  /** The binary tensor extension's layout: little-endian numbers, bools as bytes, BYTES length-prefixed. */
  private static byte[] littleEndian(NamedTensor t) {
    return switch (t) {
      case NamedTensor.Floats f -> {
        ByteBuffer b = ByteBuffer.allocate(f.values().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(f.values());
        yield b.array();
      }
      case NamedTensor.Ints i -> {
        ByteBuffer b = ByteBuffer.allocate(i.values().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(i.values());
        yield b.array();
      }
      case NamedTensor.Bools bools -> {
        byte[] b = new byte[bools.values().length];
        for (int k = 0; k < b.length; k++) {
          b[k] = (byte) (bools.values()[k] ? 1 : 0);
        }
        yield b;
      }
      case NamedTensor.Strings s -> {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String v : s.values()) {
          byte[] utf8 = v.getBytes(StandardCharsets.UTF_8);
          bytes.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
          bytes.writeBytes(utf8);
        }
        yield bytes.toByteArray();
      }
    };
  }
}
