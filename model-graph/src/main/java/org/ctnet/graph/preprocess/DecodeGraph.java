package org.ctnet.graph.preprocess;

import org.ctnet.graph.spec.NetworkSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.TensorArray;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * The in-graph decoder of serving_bytes: encoded images to the model's input size, pixels in [0, 1],
 * as the Java preprocessing does (ImagePreprocessor; ExportTest checks they agree).
 */
public final class DecodeGraph {
  private DecodeGraph() {}

  /** Decodes a batch of PNG/JPEG/BMP/GIF strings in a while loop (no map_fn in the C API). */
  public static Operand<TFloat32> decodeBatch(Ops tf, Operand<TString> encoded, NetworkSpec spec) {
    Ops d = tf.withSubScope("decode");
    Operand<TInt32> count = d.size(encoded);
    TensorArray array = d.tensorArray(count, TFloat32.class,
        TensorArray.elementShape(Shape.of(spec.inputHeight(), spec.inputWidth(), spec.inputChannels())));
    Graph graph = (Graph) tf.scope().env();
    int height = spec.inputHeight();
    int width = spec.inputWidth();
    int channels = spec.inputChannels();
    Output<?>[] loopInputs = {
      d.constant(0).asOutput(), encoded.asOutput(), array.handle().asOutput(), array.flow().asOutput()
    };
    Output<?>[] results = graph.whileLoop(loopInputs,
        (g, in, out) -> {
          Ops c = Ops.create(g);
          @SuppressWarnings("unchecked") Operand<TInt32> i = (Operand<TInt32>) in[0];
          @SuppressWarnings("unchecked") Operand<TString> s = (Operand<TString>) in[1];
          out[0] = c.math.less(i, c.size(s)).asOutput();
        },
        (g, in, out) -> {
          Ops b = Ops.create(g);
          @SuppressWarnings("unchecked") Operand<TInt32> i = (Operand<TInt32>) in[0];
          @SuppressWarnings("unchecked") Operand<TString> s = (Operand<TString>) in[1];
          Operand<TString> one = b.gather(s, i, b.constant(0));
          Operand<TUint8> pixels = b.image.decodeImage(one,
              new DecodeImage.Options[] {DecodeImage.channels((long) channels), DecodeImage.expandAnimations(false)});
          Operand<TFloat32> resized = b.image.resizeBilinear(
              b.expandDims(pixels, b.constant(0)), b.constant(new int[] {height, width}),
              ResizeBilinear.halfPixelCenters(true));
          Operand<TFloat32> scaled = b.math.div(
              b.reshape(resized, b.constant(new int[] {height, width, channels})), b.constant(255f));
          out[0] = b.math.add(i, b.constant(1)).asOutput();
          out[1] = in[1];
          out[2] = in[2];
          out[3] = b.tensorArrayWrite(in[2], i, scaled, (Operand<TFloat32>) in[3]).asOutput();
        },
        "decode_loop");
    @SuppressWarnings("unchecked") Operand<TFloat32> flow = (Operand<TFloat32>) results[3];
    return d.tensorArrayGather(array.handle(), d.range(d.constant(0), count, d.constant(1)), flow,
        TFloat32.class, org.tensorflow.op.core.TensorArrayGather.elementShape(
            Shape.of(spec.inputHeight(), spec.inputWidth(), spec.inputChannels())));
  }
}
