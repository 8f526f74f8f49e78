package org.ctnet.server.inference;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.ctnet.graph.ModelNames;

/**
 * The byte-level fast path for a KServe v2 body with one FP32 tensor named {@code images} whose
 * {@code data} is a flat list: {@code {"inputs": [{"name", "shape": [n, H, W, C], "datatype": "FP32",
 * "data": [...]}], ...}}; null for anything else (BYTES, nested data, several tensors, parameters on
 * the input), which the general path handles.
 */
final class FastKServe extends FastJson {
  private FastKServe(byte[] body) {
    super(body);
  }

  static Parsed parse(byte[] body, int height, int width, int channels, int maxInstances) {
    try {
      return new FastKServe(body).body(height, width, channels, maxInstances);
    } catch (NotFast e) {
      return null;
    }
  }

  private Parsed body(int height, int width, int channels, int maxInstances) throws NotFast {
    expect('{');
    float[] values = null;
    int count = 0;
    StringBuilder others = new StringBuilder("{");
    if (peek() == '}') {
      throw NotFast.INSTANCE;
    }
    do {
      String key = key();
      expect(':');
      if (key.equals("inputs")) {
        if (values != null) {
          throw NotFast.INSTANCE;
        }
        expect('[');
        expect('{');
        boolean fp32 = false;
        boolean named = false;
        long[] shape = null;
        float[] data = null;
        int n = 0;
        do {
          String member = key();
          expect(':');
          switch (member) {
            case "datatype" -> {
              int start = skipValue();
              fp32 = new String(b, start, pos - start, StandardCharsets.UTF_8).equals("\"FP32\"");
            }
            case "shape" -> shape = integers();
            case "data" -> {
              data = new float[height * width * channels];
              expect('[');
              do {
                if (n == data.length) {
                  data = Arrays.copyOf(data, data.length * 2);
                }
                data[n++] = number();
              } while (comma(']'));
            }
            case "name" -> {
              // Another name leaves the fast path, so the general path refuses it with the shared message.
              int start = skipValue();
              if (!new String(b, start, pos - start, StandardCharsets.UTF_8).equals("\"" + ModelNames.IN_IMAGES + "\"")) {
                throw NotFast.INSTANCE;
              }
              named = true;
            }
            default -> throw NotFast.INSTANCE;
          }
        } while (comma('}'));
        expect(']'); // exactly one tensor
        if (!fp32 || !named || shape == null || data == null || shape.length != 4 || shape[0] < 1 || shape[0] > maxInstances
            || shape[1] != height || shape[2] != width || shape[3] != channels || n != shape[0] * height * width * channels) {
          throw NotFast.INSTANCE;
        }
        count = (int) shape[0];
        values = n == data.length ? data : Arrays.copyOf(data, n);
      } else {
        keepMember(others, key);
      }
    } while (comma('}'));
    skipWhitespace();
    if (values == null || pos != b.length) {
      throw NotFast.INSTANCE;
    }
    return new Parsed(values, count, othersObject(others));
  }

}
