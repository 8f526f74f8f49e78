package org.ctnet.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.ctnet.server.problem.ServingException;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * tensorflow.TensorProto to Java arrays and back, with TensorFlow Java's own message classes. Reads
 * values from {@code tensor_content} (little-endian, what tf.make_tensor_proto writes) or from the
 * typed repeated fields; writes the typed fields.
 */
final class TensorProtos {
  private TensorProtos() {}

  static TensorProto parse(String name, ByteString bytes) {
    try {
      return TensorProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw ServingException.badRequest("input '" + name + "' is not a tensorflow.TensorProto: " + e.getMessage());
    }
  }

  static long[] shape(TensorProto t) {
    return t.getTensorShape().getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
  }

  static long elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw ServingException.badRequest("tensor shapes must be fully defined, got a dimension of " + d);
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw ServingException.badRequest("tensor shape " + java.util.Arrays.toString(shape) + " is too large");
      }
    }
    return n;
  }

  private static void requireType(String name, TensorProto t, DataType type) {
    if (t.getDtype() != type) {
      throw ServingException.badRequest("input '" + name + "' must be " + type + ", got " + t.getDtype());
    }
  }

  /** The float values of a DT_FLOAT tensor, checked against its shape. */
  static float[] floats(String name, TensorProto t) {
    requireType(name, t, DataType.DT_FLOAT);
    long count = elements(shape(t));
    if (count > Integer.MAX_VALUE / 4) {
      throw ServingException.badRequest("input '" + name + "' is too large");
    }
    float[] out = new float[(int) count];
    if (!t.getTensorContent().isEmpty()) {
      if (t.getTensorContent().size() != out.length * 4L) {
        throw ServingException.badRequest("input '" + name + "' has " + t.getTensorContent().size() + " bytes of content, its shape needs "
            + out.length * 4L);
      }
      t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    } else if (t.getFloatValCount() == out.length) {
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getFloatVal(i);
      }
    } else {
      throw ServingException.badRequest("input '" + name + "' has " + t.getFloatValCount() + " float values, its shape needs "
          + out.length);
    }
    for (int i = 0; i < out.length; i++) {
      if (!Float.isFinite(out[i])) {
        throw ServingException.badRequest("input '" + name + "' holds a non-finite value at " + i);
      }
    }
    return out;
  }

  /** The {@code expected} int values of a DT_INT32 (or DT_INT64) tensor (its shape checked before anything is allocated). */
  static int[] ints(String name, TensorProto t, int expected) {
    long count = elements(shape(t));
    if (count != expected) {
      throw ServingException.badRequest("input '" + name + "' needs " + expected + " values, its shape "
          + java.util.Arrays.toString(shape(t)) + " holds " + count);
    }
    int[] out = new int[expected];
    if (t.getDtype() == DataType.DT_INT32) {
      if (!t.getTensorContent().isEmpty() && t.getTensorContent().size() == out.length * 4L) {
        t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
        return out;
      }
      if (t.getIntValCount() == out.length) {
        for (int i = 0; i < out.length; i++) {
          out[i] = t.getIntVal(i);
        }
        return out;
      }
    } else if (t.getDtype() == DataType.DT_INT64 && t.getInt64ValCount() == out.length) {
      for (int i = 0; i < out.length; i++) {
        out[i] = Math.toIntExact(t.getInt64Val(i));
      }
      return out;
    }
    throw ServingException.badRequest("input '" + name + "' must be DT_INT32 with one value per element, got " + t.getDtype()
        + " of shape " + java.util.Arrays.toString(shape(t)));
  }

  /** The strings of a DT_STRING tensor (encoded images). */
  static List<byte[]> strings(String name, TensorProto t) {
    requireType(name, t, DataType.DT_STRING);
    List<byte[]> out = new ArrayList<>();
    t.getStringValList().forEach(b -> out.add(b.toByteArray()));
    long expected = elements(shape(t));
    if (out.size() != expected) {
      throw ServingException.badRequest("input '" + name + "' has " + out.size() + " strings, its shape needs " + expected);
    }
    return out;
  }

  private static TensorShapeProto shapeOf(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  static TensorProto floatTensor(float[][] rows) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(shapeOf(rows.length, rows.length == 0 ? 0 : rows[0].length));
    for (float[] row : rows) {
      for (float v : row) {
        b.addFloatVal(v);
      }
    }
    return b.build();
  }

  /** One value per image, as a [n] tensor. */
  static TensorProto floatVector(float[] values) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shapeOf(values.length));
    for (float v : values) {
      b.addFloatVal(v);
    }
    return b.build();
  }

  /** Maps of n images, each {@code height × width}, as one [n, height, width] tensor. */
  static TensorProto floatTensor(float[][] images, int height, int width) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(shapeOf(images.length, height, width));
    ByteBuffer content = ByteBuffer.allocate(images.length * height * width * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] image : images) {
      for (float v : image) {
        content.putFloat(v);
      }
    }
    return b.setTensorContent(ByteString.copyFrom(content.array())).build();
  }

  static TensorProto intTensor(int[] values) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_INT32).setTensorShape(shapeOf(values.length));
    for (int v : values) {
      b.addIntVal(v);
    }
    return b.build();
  }

  /** A DT_STRING vector, one UTF-8 string per image. */
  static TensorProto stringVector(java.util.List<String> values) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(org.tensorflow.proto.DataType.DT_STRING)
        .setTensorShape(org.tensorflow.proto.TensorShapeProto.newBuilder().addDim(
            org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(values.size())));
    values.forEach(v -> b.addStringVal(com.google.protobuf.ByteString.copyFromUtf8(v)));
    return b.build();
  }

  static TensorProto boolTensor(boolean[] values) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_BOOL).setTensorShape(shapeOf(values.length));
    for (boolean v : values) {
      b.addBoolVal(v);
    }
    return b.build();
  }
}
