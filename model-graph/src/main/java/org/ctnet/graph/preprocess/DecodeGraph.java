package org.ctnet.graph.preprocess;

import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.TensorArray;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * The in-graph decoder of serving_bytes: encoded images framed ({@link Framing}) and resized to the
 * model's input size, pixels in [0, 1], as the Java preprocessing does (ImagePreprocessor; ExportTest
 * and BodyFrameTest check they agree). The body frame is computed here with the same integer
 * arithmetic as {@link BodyFrame}.
 */
public final class DecodeGraph {
  private DecodeGraph() {}

  /** Decodes a batch of PNG/JPEG/BMP/GIF strings in a while loop (no map_fn in the C API). */
  public static Operand<TFloat32> decodeBatch(Ops tf, Operand<TString> encoded, Preprocessing spec) {
    Ops d = tf.withSubScope("decode");
    boolean body = spec.framing() == Framing.BODY;
    Operand<TInt32> count = d.size(encoded);
    TensorArray array = d.tensorArray(count, TFloat32.class,
        TensorArray.elementShape(Shape.of(spec.height(), spec.width(), spec.channels())));
    Graph graph = (Graph) tf.scope().env();
    int height = spec.height();
    int width = spec.width();
    int channels = spec.channels();
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
          Operand<TFloat32> scaled = body ? bodyFramed(b, pixels, height, width, channels)
              : b.math.div(resized(b, pixels, height, width, channels), b.constant(255f));
          out[0] = b.math.add(i, b.constant(1)).asOutput();
          out[1] = in[1];
          out[2] = in[2];
          out[3] = b.tensorArrayWrite(in[2], i, scaled, (Operand<TFloat32>) in[3]).asOutput();
        },
        "decode_loop");
    @SuppressWarnings("unchecked") Operand<TFloat32> flow = (Operand<TFloat32>) results[3];
    return d.tensorArrayGather(array.handle(), d.range(d.constant(0), count, d.constant(1)), flow,
        TFloat32.class, org.tensorflow.op.core.TensorArrayGather.elementShape(
            Shape.of(spec.height(), spec.width(), spec.channels())));
  }

  private static Operand<TFloat32> resized(Ops b, Operand<TUint8> pixels, int height, int width, int channels) {
    Operand<TFloat32> resized = b.image.resizeBilinear(
        b.expandDims(pixels, b.constant(0)), b.constant(new int[] {height, width}),
        ResizeBilinear.halfPixelCenters(true));
    return b.reshape(resized, b.constant(new int[] {height, width, channels}));
  }

  /** {@link BodyFrame#find} and the stretch of {@link ImagePreprocessor#toModelInput}, op for op. */
  private static Operand<TFloat32> bodyFramed(Ops b, Operand<TUint8> pixels, int height, int width, int channels) {
    Operand<TInt64> level = b.dtypes.cast(b.gather(pixels, b.constant(0), b.constant(2)), TInt64.class);
    Operand<TInt64> n = b.dtypes.cast(b.size(level), TInt64.class);
    Operand<TInt64> sum = b.reduceSum(level, b.constant(new int[] {0, 1}));
    Operand<TInt64> bright = b.dtypes.cast(b.math.greater(b.math.mul(level, n), sum), TInt64.class);
    Operand<TInt64> rows = b.reduceSum(bright, b.constant(1));
    Operand<TInt64> columns = b.reduceSum(bright, b.constant(0));
    Operand<TInt64> total = b.reduceSum(rows, b.constant(0));
    Operand<TInt64> dims = b.shape(level, TInt64.class);
    Operand<TInt64> h = b.gather(dims, b.constant(0), b.constant(0));
    Operand<TInt64> w = b.gather(dims, b.constant(1), b.constant(0));
    Operand<TInt64>[] rowSpan = span(b, rows, total, h);
    Operand<TInt64>[] columnSpan = span(b, columns, total, w);
    Operand<TInt64> hundred = b.constant(100L);
    Operand<TBool> framed = b.math.logicalAnd(b.math.greater(total, b.constant(0L)), b.math.logicalAnd(
        b.math.greaterEqual(b.math.sub(rowSpan[1], rowSpan[0]),
            b.math.floorDiv(b.math.mul(h, b.constant((long) BodyFrame.MIN_SIDE_PERCENT)), hundred)),
        b.math.greaterEqual(b.math.sub(columnSpan[1], columnSpan[0]),
            b.math.floorDiv(b.math.mul(w, b.constant((long) BodyFrame.MIN_SIDE_PERCENT)), hundred))));
    Operand<TInt64> marginY = b.math.floorDiv(b.math.mul(h, b.constant((long) BodyFrame.MARGIN_PERCENT)), hundred);
    Operand<TInt64> marginX = b.math.floorDiv(b.math.mul(w, b.constant((long) BodyFrame.MARGIN_PERCENT)), hundred);
    Operand<TInt64> zero = b.constant(0L);
    Operand<TInt64> y0 = b.select(framed, b.math.maximum(zero, b.math.sub(rowSpan[0], marginY)), zero);
    Operand<TInt64> y1 = b.select(framed, b.math.minimum(h, b.math.add(rowSpan[1], marginY)), h);
    Operand<TInt64> x0 = b.select(framed, b.math.maximum(zero, b.math.sub(columnSpan[0], marginX)), zero);
    Operand<TInt64> x1 = b.select(framed, b.math.minimum(w, b.math.add(columnSpan[1], marginX)), w);
    Operand<TUint8> crop = b.slice(pixels, b.stack(java.util.List.of(y0, x0, zero)),
        b.stack(java.util.List.of(b.math.sub(y1, y0), b.math.sub(x1, x0), b.constant(-1L))));
    Operand<TInt32> cropLevels = b.reshape(b.dtypes.cast(b.gather(crop, b.constant(0), b.constant(2)), TInt32.class),
        b.constant(new int[] {-1}));
    Operand<TInt64> histogram = b.math.unsortedSegmentSum(b.onesLike(b.dtypes.cast(cropLevels, TInt64.class)),
        cropLevels, b.constant(BodyFrame.LEVELS));
    Operand<TInt64> cumulative = b.math.cumsum(histogram, b.constant(0));
    Operand<TInt64> count = b.math.mul(b.math.sub(y1, y0), b.math.sub(x1, x0));
    Operand<TInt64> top = b.constant((long) BodyFrame.LEVELS - 1);
    Operand<TInt64> low = b.math.minimum(top, countWhere(b, b.math.lessEqual(b.math.mul(cumulative, hundred),
        b.math.mul(count, b.constant((long) BodyFrame.LOW_PERCENTILE)))));
    Operand<TInt64> high = b.math.minimum(top, countWhere(b, b.math.less(b.math.mul(cumulative, hundred),
        b.math.mul(count, b.constant((long) BodyFrame.HIGH_PERCENTILE)))));
    Operand<TBool> flat = b.math.lessEqual(high, low);
    low = b.select(flat, zero, low);
    high = b.select(flat, top, high);
    Operand<TFloat32> stretched = b.math.div(
        b.math.sub(resized(b, crop, height, width, channels), b.dtypes.cast(low, TFloat32.class)),
        b.dtypes.cast(b.math.sub(high, low), TFloat32.class));
    return b.math.maximum(b.constant(0f), b.math.minimum(b.constant(1f), stretched));
  }

  /** BodyFrame.span: [entries before TRIM_PERCENT of the running total, first entry reaching KEEP_PERCENT + 1]. */
  @SuppressWarnings("unchecked")
  private static Operand<TInt64>[] span(Ops b, Operand<TInt64> counts, Operand<TInt64> total, Operand<TInt64> length) {
    Operand<TInt64> running = b.math.mul(b.math.cumsum(counts, b.constant(0)), b.constant(100L));
    Operand<TInt64> start = countWhere(b, b.math.lessEqual(running, b.math.mul(total, b.constant((long) BodyFrame.TRIM_PERCENT))));
    Operand<TInt64> end = countWhere(b, b.math.less(running, b.math.mul(total, b.constant((long) BodyFrame.KEEP_PERCENT))));
    return new Operand[] {start, b.math.minimum(length, b.math.add(end, b.constant(1L)))};
  }

  private static Operand<TInt64> countWhere(Ops b, Operand<TBool> condition) {
    return b.reduceSum(b.dtypes.cast(condition, TInt64.class), b.constant(0));
  }
}
