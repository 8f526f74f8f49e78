package org.ctnet.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.blocks.ClassifierHead;
import org.ctnet.graph.blocks.ResidualAttentionNetwork;
import org.ctnet.graph.cam.CamGraph;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.layers.BuildRecord;
import org.ctnet.graph.layers.Layers;
import org.ctnet.graph.layers.Mode;
import org.ctnet.graph.layers.ParameterStore;
import org.ctnet.graph.layers.ParameterStore.Parameter;
import org.ctnet.graph.layers.ParameterStore.Role;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.spec.HeadKind;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.train.Optimizers;
import org.ctnet.graph.train.TrainingSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.TensorArray;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * The complete CT-Net graph built from a spec: placeholders, the inference path (serving and CAM),
 * the training path (batch statistics, loss, optimizer), the encoded-image decoder, and the
 * signatures that export them. Both paths share one set of variables. The graph is owned by the
 * caller; this object only holds handles into it.
 */
public final class ModelGraph {
  private final NetworkSpec spec;
  private final TrainingSpec training;
  private final Preprocessing preprocessing;
  private final ParameterStore store;
  private final Operand<TFloat32> images;
  private final Placeholder<TString> imageBytes;
  private final Placeholder<TInt32> labels;
  private final Placeholder<TFloat32> learningRate;
  private final Placeholder<TInt32> classIndex;
  private final Operand<TFloat32> classWeights;
  private final Operand<TFloat32> exampleWeights;
  private final Operand<TFloat32> lesionMasks;
  private final Operand<TFloat32> lesionWeights;
  private final Operand<TFloat32> lesionLoss;
  private final Operand<TFloat32> logits;
  private final Operand<TFloat32> probabilities;
  private final Operand<TFloat32> trainLogits;
  private final Operand<TFloat32> trainLoss;
  private final Op trainOp;
  private final Operand<TFloat32> trainStepLoss;
  private final Variable<TFloat32> globalStep;
  private final CamGraph cam;
  private final BuildRecord inferenceRecord;
  private final List<BuildRecord.BatchStatistics> trainBatchStatistics;
  private final List<Parameter> trainedVariables;
  private final Op anchorWeights;
  private final float temperature;

  private ModelGraph(Builder b) {
    this.spec = b.spec;
    this.training = b.training;
    this.preprocessing = b.preprocessing;
    this.store = b.store;
    this.images = b.images;
    this.imageBytes = b.imageBytes;
    this.labels = b.labels;
    this.learningRate = b.learningRate;
    this.classIndex = b.classIndex;
    this.classWeights = b.classWeights;
    this.exampleWeights = b.exampleWeights;
    this.lesionMasks = b.lesionMasks;
    this.lesionWeights = b.lesionWeights;
    this.lesionLoss = b.lesionLoss;
    this.logits = b.logits;
    this.probabilities = b.probabilities;
    this.trainLogits = b.trainLogits;
    this.trainLoss = b.trainLoss;
    this.trainOp = b.trainOp;
    this.trainStepLoss = b.trainStepLoss;
    this.globalStep = b.globalStep;
    this.cam = b.cam;
    this.inferenceRecord = b.inferenceRecord;
    this.trainBatchStatistics = b.trainBatchStatistics;
    this.trainedVariables = b.trainedVariables;
    this.anchorWeights = b.anchorWeights;
    this.temperature = b.temperature;
  }

  /** Builds everything into {@code graph}, which must be empty, with uncalibrated outputs (temperature 1). */
  public static ModelGraph build(
      Graph graph, NetworkSpec spec, TrainingSpec training, Preprocessing preprocessing) {
    return build(graph, spec, training, preprocessing, 1.0);
  }

  /**
   * Builds everything into {@code graph}, which must be empty.
   *
   * @param temperature the served {@code logits} are the network's logits divided by this (fitted
   *     on validation data: temperature scaling), and {@code probabilities} their softmax, so every
   *     client, TF Serving's included, gets calibrated probabilities. Training and the CAM methods
   *     use the raw logits.
   */
  public static ModelGraph build(
      Graph graph, NetworkSpec spec, TrainingSpec training, Preprocessing preprocessing, double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be a positive number, got " + temperature);
    }
    if (graph.operations().hasNext()) {
      throw new IllegalArgumentException("ModelGraph.build needs an empty graph");
    }
    if (preprocessing.height() != spec.inputHeight()
        || preprocessing.width() != spec.inputWidth()
        || preprocessing.channels() != spec.inputChannels()) {
      throw new IllegalArgumentException(
          "preprocessing size " + preprocessing.height() + "x" + preprocessing.width() + "x"
              + preprocessing.channels() + " does not match the network input " + spec.inputHeight()
              + "x" + spec.inputWidth() + "x" + spec.inputChannels());
    }
    return new Builder(Ops.create(graph), spec, training, preprocessing, (float) temperature).build();
  }

  private static final class Builder {
    final Ops tf;
    final NetworkSpec spec;
    final TrainingSpec training;
    final Preprocessing preprocessing;
    final ParameterStore store;
    Operand<TFloat32> images;
    Placeholder<TString> imageBytes;
    Placeholder<TInt32> labels;
    Placeholder<TFloat32> learningRate;
    Placeholder<TInt32> classIndex;
    Operand<TFloat32> classWeights;
    Operand<TFloat32> exampleWeights;
    Operand<TFloat32> lesionMasks;
    Operand<TFloat32> lesionWeights;
    Operand<TFloat32> lesionLoss;
    Operand<TFloat32> logits;
    Operand<TFloat32> probabilities;
    Operand<TFloat32> trainLogits;
    Operand<TFloat32> trainLoss;
    Op trainOp;
    Operand<TFloat32> trainStepLoss;
    Variable<TFloat32> globalStep;
    CamGraph cam;
    BuildRecord inferenceRecord;
    List<Parameter> trainedVariables;
    List<BuildRecord.StatisticUpdate> trainUpdates;
    List<BuildRecord.BatchStatistics> trainBatchStatistics;
    Operand<TFloat32> dataLoss;

    final float temperature;
    Op anchorWeights;

    Builder(Ops tf, NetworkSpec spec, TrainingSpec training, Preprocessing preprocessing, float temperature) {
      this.tf = tf;
      this.temperature = temperature;
      this.spec = spec;
      this.training = training;
      this.preprocessing = preprocessing;
      this.store = new ParameterStore(tf);
    }

    ModelGraph build() {
      Shape imageShape = Shape.of(spec.inputShape().batchDimensions(-1));
      imageBytes = tf.withName(ModelNames.OP_IMAGE_BYTES).placeholder(TString.class,
          Placeholder.shape(Shape.of(-1)));
      // Fed directly by serving_default/explain/train_step; defaults to the decoded bytes for
      // serving_bytes, so one inference path serves both.
      images = tf.withName(ModelNames.OP_IMAGES).placeholderWithDefault(decodeBatch(imageBytes), imageShape);
      labels = tf.withName(ModelNames.OP_LABELS).placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      learningRate = tf.withName(ModelNames.OP_LEARNING_RATE).placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      classIndex = tf.withName(ModelNames.OP_CLASS_INDEX).placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      float[] ones = new float[spec.numClasses()];
      java.util.Arrays.fill(ones, 1f);
      classWeights = tf.withName(ModelNames.OP_CLASS_WEIGHTS).placeholderWithDefault(tf.constant(ones), Shape.of(spec.numClasses()));

      Ops norm = tf.withSubScope("standardise");
      Operand<TFloat32> standardised =
          norm.math.div(norm.math.sub(images, norm.constant(preprocessing.mean())), norm.constant(preprocessing.std()));

      Layers.BatchNormSettings bn =
          new Layers.BatchNormSettings((float) spec.batchNormMomentum(), (float) spec.batchNormEpsilon(),
              training::usesMovingStatistics);
      Operand<TInt32> batchSize = tf.withSubScope("batch_size").squeeze(tf.slice(tf.shape(images),
          tf.constant(new int[] {0}), tf.constant(new int[] {1})));
      // Created first: dropout masks are seeded by it (stateless, so resumed runs repeat them).
      globalStep = store.get("", ModelNames.OP_GLOBAL_STEP, Role.OPTIMIZER, init -> init.constant(0f));
      Operand<org.tensorflow.types.TInt64> stepSeed =
          tf.withSubScope("step_seed").dtypes.cast(globalStep, org.tensorflow.types.TInt64.class);
      BuildRecord trainRecord = new BuildRecord();
      Operand<TFloat32> rawTrainLogits = ResidualAttentionNetwork.logits(
          Layers.root(tf, store, Mode.TRAINING, trainRecord, bn, spec.seed(), batchSize, stepSeed), spec, standardised);
      trainUpdates = trainRecord.statisticUpdates();
      trainBatchStatistics = trainRecord.batchStatistics();
      inferenceRecord = new BuildRecord();
      // The inference path must reuse every training-path variable and create none.
      store.setCreationAllowed(false);
      Operand<TFloat32> rawLogits = ResidualAttentionNetwork.logits(
          Layers.root(tf, store, Mode.INFERENCE, inferenceRecord, bn, spec.seed(), batchSize, stepSeed), spec, standardised);
      store.setCreationAllowed(true);

      Operand<TFloat32> calibrated = temperature == 1f ? rawLogits
          : tf.withSubScope("calibration").math.div(rawLogits, tf.constant(temperature));
      logits = tf.withName(ModelNames.OP_LOGITS).identity(calibrated);
      probabilities = tf.withName(ModelNames.OP_PROBABILITIES).nn.softmax(calibrated);
      trainLogits = tf.withName(ModelNames.OP_TRAIN_LOGITS).identity(rawTrainLogits);

      buildLoss(trainRecord, batchSize);
      buildTrainOp();
      cam = CamGraph.build(tf.withSubScope("cam"), rawLogits,
          inferenceRecord.feature(spec.effectiveCamLayer()), classIndex,
          spec.inputHeight(), spec.inputWidth(), List.of(CamMethod.values()), lastSoftMask());
      return new ModelGraph(this);
    }

    private Operand<TFloat32> lastSoftMask() {
      Operand<TFloat32> last = null;
      for (Operand<TFloat32> m : inferenceRecord.softMasks().values()) {
        last = m;
      }
      return last;
    }

    /** Decodes a batch of PNG/JPEG/BMP/GIF strings in a while loop (no map_fn in the C API). */
    private Operand<TFloat32> decodeBatch(Operand<TString> encoded) {
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

    private void buildLoss(BuildRecord trainRecord, Operand<TInt32> batchSize) {
      Ops l = tf.withSubScope("loss_terms");
      exampleWeights = tf.withName(ModelNames.OP_EXAMPLE_WEIGHTS).placeholderWithDefault(
          l.fill(l.expandDims(batchSize, l.constant(0)), l.constant(1f)), Shape.of(-1));
      Operand<TFloat32> oneHot = l.oneHot(labels, l.constant(spec.numClasses()), l.constant(1f), l.constant(0f));
      float smoothing = (float) training.labelSmoothing();
      Operand<TFloat32> perSample;
      if (spec.head() == HeadKind.SOFTMAX) {
        Operand<TFloat32> targets = smoothing == 0 ? oneHot : l.math.add(
            l.math.mul(oneHot, l.constant(1 - smoothing)), l.constant(smoothing / spec.numClasses()));
        perSample = l.nn.softmaxCrossEntropyWithLogits(trainLogits, targets).loss();
      } else {
        // Binary cross-entropy on z, stable form: max(z, 0) - z·y + log(1 + exp(-|z|)).
        Operand<TFloat32> z = ClassifierHead.sigmoidLogit(l, trainLogits);
        Operand<TFloat32> y = l.math.add(l.math.mul(l.dtypes.cast(labels, TFloat32.class), l.constant(1 - smoothing)),
            l.constant(smoothing / 2));
        perSample = l.math.add(
            l.math.sub(l.math.maximum(z, l.zerosLike(z)), l.math.mul(z, y)),
            l.math.log1p(l.math.exp(l.math.neg(l.math.abs(z)))));
      }
      Operand<TFloat32> weights = l.math.mul(l.sum(l.math.mul(oneHot, classWeights), l.constant(1)), exampleWeights);
      Operand<TFloat32> dataLoss = l.math.divNoNan(
          l.sum(l.math.mul(perSample, weights), l.constant(0)), l.sum(weights, l.constant(0)));
      if (training.lesionGuidance()) {
        lesionLoss = tf.withName(ModelNames.OP_LESION_LOSS).identity(
            lesionTerm(trainRecord.feature(spec.effectiveCamLayer()), batchSize));
        dataLoss = l.math.add(dataLoss, lesionLoss);
      }
      Operand<TFloat32> total = dataLoss;
      if (spec.weightDecay() > 0) {
        // The penalty is reported in the loss; its gradient (wd · W) is added to the kernels'
        // gradients directly in buildTrainOp: differentiating Square(variable) crashes TF's C++
        // gradient builder in this version.
        List<Operand<TFloat32>> squares = new ArrayList<>();
        for (Parameter p : store.byRole(Role.KERNEL)) {
          squares.add(l.sum(l.math.square(p.variable()), l.constant(allAxes(p.shape().numDimensions()))));
        }
        Operand<TFloat32> l2 = l.math.addN(squares);
        total = l.math.add(dataLoss, l.math.mul(l.constant((float) (spec.weightDecay() / 2)), l2));
      }
      this.dataLoss = dataLoss;
      trainLoss = tf.withName(ModelNames.OP_TRAIN_LOSS).identity(total);
    }

    /**
     * Lesion guidance: for each image fed with a lesion weight w > 0 and a lesion mask m (area
     * fraction per cell of the explained layer's grid), the positive class's Grad-CAM map before
     * its ReLU, z-scored over the grid, and the term mean_outside(z) − mean_inside(z) (weighted
     * by m and 1 − m), weighted by w and averaged over those images: negative when the evidence
     * lies in the lesion. The Grad-CAM channel weights (mean gradient of the positive logit) are
     * held constant ({@code stopGradient}): the term moves the feature map, not the weights'
     * derivation, and needs no second derivatives (TF's C++ registry has none).
     */
    private Operand<TFloat32> lesionTerm(Operand<TFloat32> activations, Operand<TInt32> batchSize) {
      Ops g = tf.withSubScope("lesion_guidance");
      int h = (int) activations.shape().get(1);
      int w = (int) activations.shape().get(2);
      lesionMasks = tf.withName(ModelNames.OP_LESION_MASKS).placeholderWithDefault(
          g.fill(g.stack(List.of(batchSize, g.constant(h), g.constant(w))), g.constant(0f)), Shape.of(-1, h, w));
      lesionWeights = tf.withName(ModelNames.OP_LESION_WEIGHTS).placeholderWithDefault(
          g.fill(g.expandDims(batchSize, g.constant(0)), g.constant(0f)), Shape.of(-1));
      float[] positive = new float[spec.numClasses()];
      positive[spec.numClasses() - 1] = 1f;
      Operand<TFloat32> score = g.sum(g.math.mul(trainLogits, g.constant(positive)), g.constant(new int[] {0, 1}));
      @SuppressWarnings("unchecked")
      Operand<TFloat32> gradient = (Operand<TFloat32>) (Operand<?>) g.gradients(score, List.of(activations)).dy(0);
      Operand<TFloat32> channelWeights = g.stopGradient(
          g.math.mean(gradient, g.constant(new int[] {1, 2}), org.tensorflow.op.math.Mean.keepDims(true)));
      // The signed Grad-CAM map before its ReLU, standardised over the grid: a ReLU map that is
      // all zero on an image (no positive evidence yet, common early in training) would give no
      // gradient, and the raw map's scale follows the gradients'.
      Operand<TFloat32> map = g.sum(g.math.mul(channelWeights, activations), g.constant(3));
      Operand<TInt32> spatial = g.constant(new int[] {1, 2});
      Operand<TFloat32> mean = g.math.mean(map, spatial, org.tensorflow.op.math.Mean.keepDims(true));
      Operand<TFloat32> centred = g.math.sub(map, mean);
      Operand<TFloat32> deviation = g.math.sqrt(g.math.add(
          g.math.mean(g.math.mul(centred, centred), spatial, org.tensorflow.op.math.Mean.keepDims(true)), g.constant(1e-12f)));
      Operand<TFloat32> z = g.math.div(centred, deviation);
      Operand<TFloat32> outsideMask = g.math.sub(g.constant(1f), lesionMasks);
      Operand<TFloat32> inside = g.math.divNoNan(g.sum(g.math.mul(z, lesionMasks), spatial), g.sum(lesionMasks, spatial));
      Operand<TFloat32> outside = g.math.divNoNan(g.sum(g.math.mul(z, outsideMask), spatial), g.sum(outsideMask, spatial));
      // Loss = −(mean z inside − mean z outside): lowest when the evidence sits in the lesion.
      Operand<TFloat32> perImage = g.math.sub(outside, inside);
      Operand<TFloat32> guided = g.dtypes.cast(g.math.greater(lesionWeights, g.constant(0f)), TFloat32.class);
      return g.math.divNoNan(g.sum(g.math.mul(perImage, lesionWeights), g.constant(0)), g.sum(guided, g.constant(0)));
    }

    private static int[] allAxes(int rank) {
      int[] axes = new int[rank];
      for (int i = 0; i < rank; i++) {
        axes[i] = i;
      }
      return axes;
    }

    @SuppressWarnings("unchecked")
    private void buildTrainOp() {
      trainedVariables = store.all().stream()
          .filter(Parameter::trainable)
          .filter(p -> !training.isFrozen(p.path()))
          .toList();
      if (trainedVariables.isEmpty()) {
        throw new IllegalArgumentException(
            "frozenScopes " + training.frozenScopes() + " freeze every trainable variable");
      }
      Ops t = tf.withSubScope("gradients");
      List<Operand<?>> xs = new ArrayList<>();
      trainedVariables.forEach(p -> xs.add(p.variable()));
      var grads = t.gradients(dataLoss, xs);
      List<Operand<TFloat32>> gradients = new ArrayList<>();
      Operand<TFloat32> decay = t.constant((float) spec.weightDecay());
      Operand<TFloat32> l2sp = t.constant((float) training.l2sp());
      List<Op> anchorAssigns = new ArrayList<>();
      for (int i = 0; i < xs.size(); i++) {
        Operand<TFloat32> g = (Operand<TFloat32>) (Operand<?>) grads.dy(i);
        Parameter p = trainedVariables.get(i);
        if (training.l2sp() > 0 && p.role() == Role.KERNEL) {
          // L2-SP: pull toward the starting point W0 (an optimizer-role variable, so restoring
          // network weights leaves it alone and anchorWeights sets it).
          Variable<TFloat32> anchor = store.get(p.path(), "l2sp_anchor", Role.OPTIMIZER,
              init -> ParameterStore.zeros(init, p));
          anchorAssigns.add(t.withName("l2sp_" + i).assign(anchor, p.variable()));
          g = t.math.add(g, t.math.mul(l2sp, t.math.sub(p.variable(), anchor)));
        } else if (spec.weightDecay() > 0 && p.role() == Role.KERNEL) {
          g = t.math.add(g, t.math.mul(decay, p.variable()));
        }
        gradients.add(g);
      }
      anchorWeights = tf.withControlDependencies(anchorAssigns).withName(ModelNames.OP_L2SP_ANCHOR).noOp();
      // Updates write variables in place that backprop ops (e.g. Conv2DBackpropInput) still read:
      // without a barrier an early update races a later read and runs are not reproducible. One
      // NoOp waits for every gradient and the loss; every update waits for it (O(vars) edges).
      List<Op> computed = new ArrayList<>();
      computed.addAll(gradients);
      computed.add(trainLoss);
      computed.add(trainLogits);
      Op gradientsReady = tf.withControlDependencies(computed).withName("gradients_ready").noOp();
      List<Op> applies = Optimizers.updates(tf.withControlDependencies(List.of(gradientsReady)), store, training,
          trainedVariables, gradients, learningRate, globalStep);
      Op increment = tf.withControlDependencies(applies).withName("increment_step")
          .assignAdd(globalStep, tf.constant(1f));
      List<Op> all = new ArrayList<>();
      all.add(increment);
      for (BuildRecord.StatisticUpdate u : trainUpdates) {
        if (!training.isFrozen(u.scopePath())) {
          all.add(u.update());
        }
      }
      trainOp = tf.withControlDependencies(all).withName(ModelNames.OP_TRAIN).noOp();
      trainStepLoss = tf.withControlDependencies(List.of(trainOp)).withName(ModelNames.OP_LOSS).identity(trainLoss);
    }

  }

  public NetworkSpec spec() {
    return spec;
  }

  public TrainingSpec training() {
    return training;
  }

  public Preprocessing preprocessing() {
    return preprocessing;
  }

  public ParameterStore parameters() {
    return store;
  }

  public Operand<TFloat32> images() {
    return images;
  }

  public Operand<TString> imageBytes() {
    return imageBytes;
  }

  public Operand<TInt32> labels() {
    return labels;
  }

  public Operand<TFloat32> learningRate() {
    return learningRate;
  }

  public Operand<TInt32> classIndex() {
    return classIndex;
  }

  public Operand<TFloat32> classWeights() {
    return classWeights;
  }

  public Operand<TFloat32> logits() {
    return logits;
  }

  /** Per-image weight of the classification loss (default 1). */
  public Operand<TFloat32> exampleWeights() {
    return exampleWeights;
  }

  /** Lesion-guidance feeds and loss, or null when the training spec does not build the term. */
  public Operand<TFloat32> lesionMasks() {
    return lesionMasks;
  }

  public Operand<TFloat32> lesionWeights() {
    return lesionWeights;
  }

  public Operand<TFloat32> lesionLoss() {
    return lesionLoss;
  }

  public Operand<TFloat32> probabilities() {
    return probabilities;
  }

  public Operand<TFloat32> trainLogits() {
    return trainLogits;
  }

  public Operand<TFloat32> trainLoss() {
    return trainLoss;
  }

  public Op trainOp() {
    return trainOp;
  }

  public Variable<TFloat32> globalStep() {
    return globalStep;
  }

  public CamGraph cam() {
    return cam;
  }

  /** Named block outputs on the inference path (CAM targets, tests). */
  public Map<String, Operand<TFloat32>> inferenceFeatures() {
    return inferenceRecord.features();
  }

  /**
   * The training path's batch norms that normalise with batch statistics (all of them unless the
   * training spec freezes some), with their moving-statistic variables: for AdaBN.
   */
  public List<BuildRecord.BatchStatistics> trainBatchStatistics() {
    return trainBatchStatistics;
  }

  /** Soft masks M of the attention modules on the inference path. */
  public Map<String, Operand<TFloat32>> softMasks() {
    return inferenceRecord.softMasks();
  }

  /** Sets the L2-SP anchors to the current weights (a no-op without L2-SP). */
  public Op anchorWeights() {
    return anchorWeights;
  }

  /** The temperature the served logits are divided by. */
  public double temperature() {
    return temperature;
  }

  /** The variables the training step updates through gradients. */
  public List<Parameter> trainedVariables() {
    return trainedVariables;
  }

  /** The signatures an exported model carries (see {@link ModelNames}). */
  public List<Signature> signatures() {
    Signature serving = Signature.builder(ModelNames.SERVING_DEFAULT)
        .methodName(ModelNames.PREDICT_METHOD)
        .input(ModelNames.IN_IMAGES, images)
        .output(ModelNames.OUT_PROBABILITIES, probabilities)
        .output(ModelNames.OUT_LOGITS, logits)
        .build();
    Signature bytes = Signature.builder(ModelNames.SERVING_BYTES)
        .methodName(ModelNames.PREDICT_METHOD)
        .input(ModelNames.IN_IMAGE_BYTES, imageBytes)
        .output(ModelNames.OUT_PROBABILITIES, probabilities)
        .output(ModelNames.OUT_LOGITS, logits)
        .build();
    Signature.Builder explain = Signature.builder(ModelNames.EXPLAIN)
        .methodName(ModelNames.PREDICT_METHOD)
        .input(ModelNames.IN_IMAGES, images)
        .input(ModelNames.IN_CLASS_INDEX, classIndex)
        .output(ModelNames.OUT_PROBABILITIES, probabilities)
        .output(ModelNames.OUT_LOGITS, logits)
        .output(ModelNames.OUT_TARGET_CLASS, cam.targetClass());
    cam.outputs().forEach((method, out) -> explain
        .output(method.key() + ModelNames.OUT_CAM_SUFFIX, out.cam())
        .output(method.key() + ModelNames.OUT_HEATMAP_SUFFIX, out.heatmap())
        .output(method.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX, out.hasEvidence()));
    Signature train = Signature.builder(ModelNames.TRAIN_STEP)
        .methodName(ModelNames.PREDICT_METHOD)
        .input(ModelNames.IN_IMAGES, images)
        .input(ModelNames.IN_LABELS, labels)
        .input(ModelNames.IN_LEARNING_RATE, learningRate)
        .output(ModelNames.OUT_LOSS, trainStepLoss)
        .build();
    return List.of(serving, bytes, explain.build(), train);
  }
}
