package org.ctnet.graph.layers;

import java.util.function.Predicate;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.ctnet.graph.layers.ParameterStore.Role;

/**
 * An immutable view of "where we are" while building one path of the network: the compute scope,
 * the variable path, the mode, and the shared parameter store. {@link #child(String)} returns a new
 * instance one level deeper; every layer function is tensor-in, tensor-out.
 */
public final class Layers {
  private final Ops tf;
  private final String path;
  private final ParameterStore store;
  private final Mode mode;
  private final BuildRecord record;
  private final BatchNormSettings batchNorm;
  private final long seed;
  private final Operand<TInt32> batchSize;
  private final Operand<TInt64> stepSeed;

  /**
   * Batch-norm hyper-parameters shared by every layer of a network.
   *
   * @param movingStatisticsWhileTraining scope paths whose batch norm normalises with its moving
   *     statistics on the training path too (frozen scopes, fine-tuning), and records no update
   */
  public record BatchNormSettings(float momentum, float epsilon, Predicate<String> movingStatisticsWhileTraining) {
    public BatchNormSettings(float momentum, float epsilon) {
      this(momentum, epsilon, path -> false);
    }
  }

  private Layers(
      Ops tf,
      String path,
      ParameterStore store,
      Mode mode,
      BuildRecord record,
      BatchNormSettings batchNorm,
      long seed,
      Operand<TInt32> batchSize,
      Operand<TInt64> stepSeed) {
    this.tf = tf;
    this.path = path;
    this.store = store;
    this.mode = mode;
    this.record = record;
    this.batchNorm = batchNorm;
    this.seed = seed;
    this.batchSize = batchSize;
    this.stepSeed = stepSeed;
  }

  /**
   * The root of one path: compute ops go under {@code mode.scopeName()}.
   *
   * @param batchSize the batch size as a scalar taken from the input placeholder; random masks
   *     are shaped from it, because a Shape op downstream of the variables crashes TF's C++
   *     gradient builder
   * @param stepSeed the training step as int64: random masks are a stateless function of
   *     (seed, step), so a run resumed from a checkpoint draws the same masks
   */
  public static Layers root(
      Ops rootOps,
      ParameterStore store,
      Mode mode,
      BuildRecord record,
      BatchNormSettings batchNorm,
      long seed,
      Operand<TInt32> batchSize,
      Operand<TInt64> stepSeed) {
    return new Layers(
        rootOps.withSubScope(mode.scopeName()), "", store, mode, record, batchNorm, seed, batchSize, stepSeed);
  }

  public Layers child(String name) {
    String childPath = path.isEmpty() ? name : path + "/" + name;
    return new Layers(tf.withSubScope(name), childPath, store, mode, record, batchNorm, seed, batchSize, stepSeed);
  }

  /**
   * A layer's variable path under this scope, its ops in this scope named after it: a sub-scope per
   * convolution and batch norm cost a scan of the whole graph each in TF-Java 1.1.0.
   */
  private Layers leaf(String name) {
    String childPath = path.isEmpty() ? name : path + "/" + name;
    return new Layers(tf, childPath, store, mode, record, batchNorm, seed, batchSize, stepSeed);
  }

  public Ops tf() {
    return tf;
  }

  public String path() {
    return path;
  }

  public Mode mode() {
    return mode;
  }

  /** Records this scope's output as a named feature layer (a CAM target). */
  public Operand<TFloat32> recordFeature(Operand<TFloat32> x) {
    record.addFeature(path, x);
    return x;
  }

  /** Records a map the lesion decoder reads (not a CAM target). */
  public Operand<TFloat32> recordDecoderInput(String name, Operand<TFloat32> x) {
    record.addDecoderInput(name, x);
    return x;
  }

  /** The record of the path being built. */
  public BuildRecord record() {
    return record;
  }

  /** A 1×1 convolution with a bias (no batch norm follows): per-pixel logits. */
  public Operand<TFloat32> conv1x1WithBias(Operand<TFloat32> x, String name, int filters) {
    Operand<TFloat32> y = conv2d(x, name, filters, 1, 1);
    Layers scope = leaf(name);
    Variable<TFloat32> b = store.get(scope.path, "bias", Role.SHIFT_OR_SCALE,
        init -> init.fill(init.constant(new long[] {filters}), init.constant(0f)));
    return tf.withName(name + "_bias").nn.biasAdd(y, b);
  }

  public void recordSoftMask(Operand<TFloat32> mask) {
    record.addSoftMask(path, mask);
  }

  static long channels(Operand<TFloat32> x) {
    return x.shape().get(x.shape().numDimensions() - 1);
  }

  /** A seed pair that depends only on the network seed and the variable path. */
  private Operand<TInt64> seedFor(Ops scope, String leaf) {
    byte[] bytes = (path + "/" + leaf).getBytes(StandardCharsets.UTF_8);
    long h = 1125899906842597L;
    for (byte b : bytes) {
      h = 31 * h + b;
    }
    return scope.constant(new long[] {seed, h});
  }

  /** He-normal initialised, bias-free convolution with SAME padding (batch norm follows). */
  public Operand<TFloat32> conv2d(Operand<TFloat32> x, String name, int filters, int kernel, int stride) {
    long in = channels(x);
    long[] shape = {kernel, kernel, in, filters};
    float std = (float) Math.sqrt(2.0 / (kernel * kernel * in));
    Layers scope = leaf(name);
    Variable<TFloat32> w =
        store.get(
            scope.path,
            "kernel",
            Role.KERNEL,
            init -> init.math.mul(
                init.random.statelessRandomNormal(init.constant(shape), scope.seedFor(init, "kernel")),
                init.constant(std)));
    return tf.withName(name).nn.conv2d(x, w, List.of(1L, (long) stride, (long) stride, 1L), "SAME");
  }

  /**
   * FusedBatchNormV3. Training: batch statistics, and an update of the moving averages recorded
   * for the training step. Inference: the moving statistics.
   */
  public Operand<TFloat32> batchNorm(Operand<TFloat32> x, String name) {
    long c = channels(x);
    Layers scope = leaf(name);
    Variable<TFloat32> gamma =
        store.get(scope.path, "gamma", Role.SHIFT_OR_SCALE, init -> init.fill(init.constant(new long[] {c}), init.constant(1f)));
    Variable<TFloat32> beta =
        store.get(scope.path, "beta", Role.SHIFT_OR_SCALE, init -> init.fill(init.constant(new long[] {c}), init.constant(0f)));
    Variable<TFloat32> movingMean =
        store.get(scope.path, "moving_mean", Role.MOVING_STATISTIC, init -> init.fill(init.constant(new long[] {c}), init.constant(0f)));
    Variable<TFloat32> movingVariance =
        store.get(scope.path, "moving_variance", Role.MOVING_STATISTIC, init -> init.fill(init.constant(new long[] {c}), init.constant(1f)));
    Ops ops = scope.tf;
    if (mode == Mode.INFERENCE && !x.op().type().equals("Conv2D")) {
      // Inference after an addition (the pre-activation units' first batch norm): a per-channel
      // scale and shift. TensorFlow's CPU FusedBatchNormV3 in inference mode took 56% of the forward
      // pass for these 20 layers (step stats), against a few percent for two element-wise ops; after
      // a convolution the fused op stays, because grappler folds Conv2D + FusedBatchNorm + Relu into
      // one kernel.
      Operand<TFloat32> scale = ops.math.mul(gamma, ops.math.rsqrt(ops.math.add(movingVariance,
          ops.constant(batchNorm.epsilon()))));
      Operand<TFloat32> shift = ops.math.sub(beta, ops.math.mul(movingMean, scale));
      return ops.withName(name).math.add(ops.math.mul(x, scale), shift);
    }
    if (mode == Mode.INFERENCE || batchNorm.movingStatisticsWhileTraining().test(scope.path)) {
      return ops.withName(name).nn
          .fusedBatchNorm(x, gamma, beta, movingMean, movingVariance,
              FusedBatchNorm.isTraining(false), FusedBatchNorm.epsilon(batchNorm.epsilon()))
          .y();
    }
    Operand<TFloat32> empty = ops.constant(new float[0]);
    FusedBatchNorm<TFloat32, TFloat32> bn =
        ops.withName(name).nn.fusedBatchNorm(x, gamma, beta, empty, empty,
            FusedBatchNorm.isTraining(true), FusedBatchNorm.epsilon(batchNorm.epsilon()));
    record.addBatchStatistics(new BuildRecord.BatchStatistics(scope.path, x, bn.batchMean(), bn.batchVariance(),
        movingMean, movingVariance));
    Operand<TFloat32> decay = ops.constant(1f - batchNorm.momentum());
    // moving -= (moving - batch) * (1 - momentum); the batch statistics carry no gradient.
    record.addUpdate(scope.path, ops.withName(name + "_update_mean").assignSub(movingMean,
        ops.math.mul(ops.math.sub(movingMean, ops.stopGradient(bn.batchMean())), decay)));
    record.addUpdate(scope.path, ops.withName(name + "_update_variance").assignSub(movingVariance,
        ops.math.mul(ops.math.sub(movingVariance, ops.stopGradient(bn.batchVariance())), decay)));
    return bn.y();
  }

  public Operand<TFloat32> relu(Operand<TFloat32> x) {
    return tf.nn.relu(x);
  }

  public Operand<TFloat32> batchNormRelu(Operand<TFloat32> x, String name) {
    return relu(batchNorm(x, name));
  }

  /**
   * 3x3 stride-2 SAME max pool built as the v1 {@code MaxPool} op: oneDNN takes it (and its
   * gradient) over, unlike the {@code MaxPoolV2} that {@code tf.nn.maxPool} creates.
   */
  @SuppressWarnings("unchecked")
  public Operand<TFloat32> maxPool3x3Stride2(Operand<TFloat32> x, String name) {
    Operation op =
        tf.scope()
            .opBuilder("MaxPool", name)
            .addInput(x.asOutput())
            .setAttr("ksize", new long[] {1, 3, 3, 1})
            .setAttr("strides", new long[] {1, 2, 2, 1})
            .setAttr("padding", "SAME")
            .setAttr("data_format", "NHWC")
            .build();
    return (Operand<TFloat32>) (Operand<?>) op.output(0);
  }

  /** Mean of each side×side block (stride = side; SAME padding averages the valid pixels only). */
  public Operand<TFloat32> averagePool(Operand<TFloat32> x, String name, int side) {
    return tf.withName(name).nn.avgPool(x, List.of(1L, (long) side, (long) side, 1L),
        List.of(1L, (long) side, (long) side, 1L), "SAME");
  }

  /** Bilinear resize to a static size (half-pixel centres, as the image decoders use). */
  public Operand<TFloat32> resizeBilinear(Operand<TFloat32> x, long height, long width) {
    return tf.image.resizeBilinear(
        x, tf.constant(new int[] {(int) height, (int) width}), ResizeBilinear.halfPixelCenters(true));
  }

  public Operand<TFloat32> globalAveragePool(Operand<TFloat32> x) {
    return tf.math.mean(x, tf.constant(new int[] {1, 2}));
  }

  /** Glorot-uniform dense layer with a zero bias. */
  public Operand<TFloat32> dense(Operand<TFloat32> x, String name, int units) {
    long in = channels(x);
    float limit = (float) Math.sqrt(6.0 / (in + units));
    Layers scope = leaf(name);
    Variable<TFloat32> w =
        store.get(scope.path, "kernel", Role.KERNEL,
            init -> init.math.sub(
                init.math.mul(
                    init.random.statelessRandomUniform(init.constant(new long[] {in, units}), scope.seedFor(init, "kernel")),
                    init.constant(2 * limit)),
                init.constant(limit)));
    Variable<TFloat32> b =
        store.get(scope.path, "bias", Role.SHIFT_OR_SCALE,
            init -> init.fill(init.constant(new long[] {units}), init.constant(0f)));
    return tf.withName(name).nn.biasAdd(tf.linalg.matMul(x, w), b);
  }

  /** Inverted dropout on a [N, C] tensor in training mode, identity in inference mode. */
  public Operand<TFloat32> dropout(Operand<TFloat32> x, double rate) {
    if (mode == Mode.INFERENCE || rate <= 0) {
      return x;
    }
    Ops d = tf.withSubScope("dropout");
    Operand<TInt32> maskShape = d.stack(java.util.List.of(batchSize, d.constant((int) channels(x))));
    Operand<TInt64> seedPair = d.stack(java.util.List.of(
        d.constant(seed ^ (path.hashCode() * 0x9E3779B97F4A7C15L)), stepSeed));
    Operand<TFloat32> uniform = d.random.statelessRandomUniform(maskShape, seedPair);
    Operand<TFloat32> keep = d.stopGradient(d.dtypes.cast(d.math.greaterEqual(uniform, d.constant((float) rate)), TFloat32.class));
    return d.math.mul(x, d.math.mul(keep, d.constant((float) (1.0 / (1.0 - rate)))));
  }

  @Override
  public String toString() {
    return "Layers[" + mode + ":" + path + "]";
  }
}
