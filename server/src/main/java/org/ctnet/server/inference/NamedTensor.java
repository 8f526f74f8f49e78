package org.ctnet.server.inference;

import java.util.List;

/**
 * One output of an inference, by name, shape and values, before any wire format: REST writes it as
 * JSON (or binary after the header), gRPC as a proto tensor. Arrays are row-major, flat.
 */
public sealed interface NamedTensor {
  String name();

  long[] shape();

  /** KServe's datatype name. */
  String datatype();

  record Floats(String name, long[] shape, float[] values) implements NamedTensor {
    public String datatype() {
      return "FP32";
    }
  }

  record Ints(String name, long[] shape, int[] values) implements NamedTensor {
    public String datatype() {
      return "INT32";
    }
  }

  record Bools(String name, long[] shape, boolean[] values) implements NamedTensor {
    public String datatype() {
      return "BOOL";
    }
  }

  record Strings(String name, long[] shape, List<String> values) implements NamedTensor {
    public String datatype() {
      return "BYTES";
    }
  }

  /** Rows of equal length as one flat tensor. */
  static Floats rows(String name, long[] shape, float[][] rows) {
    int width = rows.length == 0 ? 0 : rows[0].length;
    float[] flat = new float[rows.length * width];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * width, width);
    }
    return new Floats(name, shape, flat);
  }
}
