package org.ctnet.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * A streaming fast path for the common TF Serving body {@code {"instances": [<numeric arrays>]}}
 * (optionally with {@code "signature_name": "serving_default"}): numbers go straight into a float
 * array without building a JSON tree of tens of thousands of nodes. Anything else returns null and
 * takes the general path, which also produces the detailed error messages.
 */
final class FastInstances {
  private static final JsonFactory FACTORY = new JsonFactory();

  /** Flat values and the count of instances, each of exactly {@code perInstance} numbers. */
  record Parsed(float[] values, int count) {}

  private FastInstances() {}

  static Parsed parse(byte[] body, int perInstance, int maxInstances) {
    try (JsonParser p = FACTORY.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Parsed parsed = null;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (name.equals("signature_name") && value == JsonToken.VALUE_STRING
            && p.getText().equals(org.ctnet.graph.ModelNames.SERVING_DEFAULT)) {
          continue;
        }
        if (!name.equals("instances") || value != JsonToken.START_ARRAY || parsed != null) {
          return null;
        }
        parsed = instances(p, perInstance, maxInstances);
        if (parsed == null) {
          return null;
        }
      }
      return t == JsonToken.END_OBJECT && p.nextToken() == null ? parsed : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Reads the instances array: each element an array nest holding exactly perInstance numbers. */
  private static Parsed instances(JsonParser p, int perInstance, int maxInstances) throws IOException {
    float[] values = new float[perInstance * 4];
    int n = 0;
    int count = 0;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.START_ARRAY) {
      if (count == maxInstances) {
        return null;
      }
      int depth = 1;
      int start = n;
      while (depth > 0) {
        t = p.nextToken();
        if (t == JsonToken.START_ARRAY) {
          depth++;
        } else if (t == JsonToken.END_ARRAY) {
          depth--;
        } else if (t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT) {
          if (n - start == perInstance) {
            return null;
          }
          if (n == values.length) {
            values = java.util.Arrays.copyOf(values, values.length * 2);
          }
          values[n++] = p.getFloatValue();
        } else {
          return null;
        }
      }
      if (n - start != perInstance) {
        return null;
      }
      count++;
    }
    if (t != JsonToken.END_ARRAY || count == 0) {
      return null;
    }
    return new Parsed(java.util.Arrays.copyOf(values, n), count);
  }
}
