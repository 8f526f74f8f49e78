package org.ctnet.graph.runtime;

import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.ndarray.buffer.IntDataBuffer;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * Copies between flat Java arrays and tensors (flat copies are ~400× cheaper than nested arrays).
 * Creating methods return tensors the caller must close; reading methods copy out and leave the
 * tensor to its owner.
 */
public final class TensorIo {
  private TensorIo() {}

  public static TFloat32 floats(float[] data, long... shape) {
    Shape s = Shape.of(shape);
    if (s.size() != data.length) {
      throw new IllegalArgumentException(
          "shape " + s + " needs " + s.size() + " values, got " + data.length);
    }
    return TFloat32.tensorOf(s, DataBuffers.of(data, true, false));
  }

  public static TInt32 ints(int[] data) {
    return TInt32.tensorOf(Shape.of(data.length), DataBuffers.of(data, true, false));
  }

  public static TFloat32 scalar(float value) {
    return TFloat32.scalarOf(value);
  }

  public static TString strings(List<byte[]> values) {
    return TString.tensorOfBytes(org.tensorflow.ndarray.NdArrays.vectorOfObjects(values.toArray(new byte[0][])));
  }

  public static float[] readFloats(Tensor t) {
    TFloat32 f = (TFloat32) t;
    float[] out = new float[(int) f.shape().size()];
    FloatDataBuffer buffer = DataBuffers.of(out, false, false);
    f.copyTo(buffer);
    return out;
  }

  public static int[] readInts(Tensor t) {
    TInt32 i = (TInt32) t;
    int[] out = new int[(int) i.shape().size()];
    IntDataBuffer buffer = DataBuffers.of(out, false, false);
    i.copyTo(buffer);
    return out;
  }

  public static boolean[] readBools(Tensor t) {
    TBool b = (TBool) t;
    boolean[] out = new boolean[(int) b.shape().size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = b.getBoolean(k);
    }
    return out;
  }

  public static float readScalar(Tensor t) {
    return ((TFloat32) t).getFloat();
  }
}
