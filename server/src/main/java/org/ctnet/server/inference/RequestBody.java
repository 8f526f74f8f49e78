package org.ctnet.server.inference;

import org.ctnet.server.problem.ServingException;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A TF Serving REST predict body: {@code {"signature_name"?, "instances": [...]}} (row format) or
 * {@code {"signature_name"?, "inputs": ...}} (columnar format).
 */
record RequestBody(String signature, JsonNode instances, JsonNode inputs, int maxInstances) {

  static RequestBody parse(JsonNode body, int maxInstances) {
    if (!body.isObject()) {
      throw ServingException.badRequest("request must be a JSON object with 'instances' or 'inputs'");
    }
    JsonNode sig = body.get("signature_name");
    if (sig != null && !sig.isTextual()) {
      throw ServingException.badRequest("signature_name must be a string");
    }
    boolean hasInstances = body.has("instances");
    boolean hasInputs = body.has("inputs");
    if (hasInstances == hasInputs) {
      throw ServingException.badRequest("request must have exactly one of 'instances' (row format) or 'inputs' (columnar format)");
    }
    if (hasInstances && !body.get("instances").isArray()) {
      throw ServingException.badRequest("'instances' must be a list");
    }
    return new RequestBody(sig == null ? null : sig.asText(), body.get("instances"), body.get("inputs"), maxInstances);
  }

  boolean columnar() {
    return inputs != null;
  }

  /** The per-instance values of one named input. */
  List<JsonNode> instances(String inputName) {
    List<JsonNode> out = new ArrayList<>();
    if (instances != null) {
      for (JsonNode instance : instances) {
        if (instance.isObject() && !instance.has("b64")) {
          JsonNode value = instance.get(inputName);
          if (value == null) {
            throw ServingException.badRequest("instance lacks input '" + inputName + "' (has " + names(instance) + ")");
          }
          out.add(value);
        } else {
          out.add(instance);
        }
      }
    } else {
      JsonNode batch = inputs.isObject() && !inputs.has("b64") ? inputs.get(inputName) : inputs;
      if (batch == null) {
        throw ServingException.badRequest("inputs lack '" + inputName + "' (have " + names(inputs) + ")");
      }
      if (!batch.isArray()) {
        throw ServingException.badRequest("input '" + inputName + "' must be a batch (a list), got " + Json.describe(batch));
      }
      batch.forEach(out::add);
    }
    Images.checkCount(out.size(), maxInstances);
    return out;
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
