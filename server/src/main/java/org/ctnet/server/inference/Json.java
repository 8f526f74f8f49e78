package org.ctnet.server.inference;

import org.ctnet.server.problem.ServingException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** JSON helpers: one mapper, tree building, strict numeric array flattening. */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  public static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw ServingException.badRequest("request body is empty; expected JSON");
    }
    try {
      return MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw ServingException.badRequest("malformed JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw ServingException.badRequest("unreadable JSON: " + e.getMessage());
    }
  }

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  public static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  public static ArrayNode row(float[] values) {
    ArrayNode a = array();
    for (float v : values) {
      a.add(v);
    }
    return a;
  }

  public static ArrayNode matrix(float[][] values) {
    ArrayNode a = array();
    for (float[] row : values) {
      a.add(row(row));
    }
    return a;
  }

  public static ArrayNode grid(float[] flat, int rows, int cols) {
    ArrayNode a = array();
    for (int r = 0; r < rows; r++) {
      ArrayNode row = array();
      for (int c = 0; c < cols; c++) {
        row.add(flat[r * cols + c]);
      }
      a.add(row);
    }
    return a;
  }

  public static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A JSON number as a float; one beyond float's range (±Inf, e.g. 1e39) is a client error. */
  public static float finiteFloat(JsonNode number, String what) {
    float value = number.floatValue();
    if (!Float.isFinite(value)) {
      throw ServingException.badRequest(what + ": " + number.asText() + " is outside the 32-bit float range");
    }
    return value;
  }

  /**
   * Flattens a nested numeric array whose shape must be exactly {@code shape} (row-major) into
   * {@code out} at {@code offset}; returns the next offset.
   */
  public static int flatten(JsonNode node, int[] shape, int depth, float[] out, int offset, String what) {
    if (depth == shape.length) {
      if (!node.isNumber()) {
        throw ServingException.badRequest(what + ": expected a number, got " + describe(node));
      }
      out[offset] = finiteFloat(node, what);
      return offset + 1;
    }
    if (!node.isArray()) {
      throw ServingException.badRequest(what + ": expected an array of " + shape[depth] + " at depth " + depth + ", got " + describe(node));
    }
    if (node.size() != shape[depth]) {
      throw ServingException.badRequest(what + ": dimension " + depth + " has " + node.size() + " elements, expected " + shape[depth]);
    }
    for (JsonNode child : node) {
      offset = flatten(child, shape, depth + 1, out, offset, what);
    }
    return offset;
  }

  public static String describe(JsonNode node) {
    String s = node.toString();
    return node.getNodeType().name().toLowerCase() + " " + (s.length() > 40 ? s.substring(0, 40) + "..." : s);
  }
}
