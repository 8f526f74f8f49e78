package org.ctnet.graph.train;

import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.blocks.ClassifierHead;
import org.ctnet.graph.layers.BuildRecord;
import org.ctnet.graph.layers.ParameterStore;
import org.ctnet.graph.layers.ParameterStore.Parameter;
import org.ctnet.graph.layers.ParameterStore.Role;
import org.ctnet.graph.spec.HeadKind;
import org.ctnet.graph.spec.NetworkSpec;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The training half of the graph, built on the training-mode forward pass: the loss (class and
 * example weights, label smoothing, weight decay, lesion guidance, multiple-instance bags), gradients of the trained
 * variables (frozen scopes excluded, L2-SP), the optimizer's updates, batch-norm statistic updates
 * and the step counter, behind one train op.
 */
public final class TrainingGraph {
  private final Ops tf;
  private final NetworkSpec spec;
  private final TrainingSpec training;
  private final ParameterStore store;
  private final Operand<TInt32> labels;
  private final Operand<TFloat32> classWeights;
  private final Operand<TFloat32> trainLogits;
  private final Operand<TFloat32> learningRate;
  private final Variable<TFloat32> globalStep;
  private final List<BuildRecord.StatisticUpdate> trainUpdates;

  private Operand<TFloat32> exampleWeights;
  private Operand<TFloat32> lesionMasks;
  private Operand<TFloat32> lesionWeights;
  private Operand<TFloat32> lungMasks;
  private Operand<TFloat32> lungWeights;
  private Operand<TFloat32> lesionLoss;
  private Operand<TFloat32> bagPooling;
  private Operand<TInt32> bagLabels;
  private Operand<TFloat32> bagSharpness;
  private Operand<TFloat32> bagLoss;
  private Operand<TFloat32> dataLoss;
  private Operand<TFloat32> trainLoss;
  private List<Parameter> trainedVariables;
  private Op anchorWeights;
  private Op trainOp;
  private Operand<TFloat32> trainStepLoss;

  private TrainingGraph(Ops tf, NetworkSpec spec, TrainingSpec training, ParameterStore store, Operand<TInt32> labels,
      Operand<TFloat32> classWeights, Operand<TFloat32> trainLogits, Operand<TFloat32> learningRate,
      Variable<TFloat32> globalStep, List<BuildRecord.StatisticUpdate> trainUpdates) {
    this.tf = tf;
    this.spec = spec;
    this.training = training;
    this.store = store;
    this.labels = labels;
    this.classWeights = classWeights;
    this.trainLogits = trainLogits;
    this.learningRate = learningRate;
    this.globalStep = globalStep;
    this.trainUpdates = trainUpdates;
  }

  /**
   * Builds the training half on a training-mode forward pass ({@code trainRecord}, its raw
   * {@code trainLogits}) whose variables live in {@code store}.
   */
  public static TrainingGraph build(Ops tf, NetworkSpec spec, TrainingSpec training, ParameterStore store,
      BuildRecord trainRecord, Operand<TFloat32> trainLogits, Operand<TInt32> labels, Operand<TFloat32> classWeights,
      Operand<TFloat32> learningRate, Variable<TFloat32> globalStep, Operand<TInt32> batchSize) {
    TrainingGraph g = new TrainingGraph(tf, spec, training, store, labels, classWeights, trainLogits, learningRate,
        globalStep, trainRecord.statisticUpdates());
    g.buildLoss(trainRecord, batchSize);
    g.buildTrainOp();
    return g;
  }

  /** Per-image weight of the classification loss (placeholder, default 1). */
  public Operand<TFloat32> exampleWeights() {
    return exampleWeights;
  }

  /** Lesion masks on the explained layer's grid (placeholder; null without lesion guidance). */
  public Operand<TFloat32> lesionMasks() {
    return lesionMasks;
  }

  /** Lung-field masks on the lesion head's grid (placeholder; null without a lesion head). */
  public Operand<TFloat32> lungMasks() {
    return lungMasks;
  }

  /** Per-image weights of the lung-field term (placeholder; null without a lesion head). */
  public Operand<TFloat32> lungWeights() {
    return lungWeights;
  }

  /** Per-image lesion weights (placeholder; null without lesion guidance). */
  public Operand<TFloat32> lesionWeights() {
    return lesionWeights;
  }

  /** The batch's lesion term (null without lesion guidance). */
  public Operand<TFloat32> lesionLoss() {
    return lesionLoss;
  }

  /** Pooling weights of each bag over the batch's images, [bags, images] (placeholder, default no bag). */
  public Operand<TFloat32> bagPooling() {
    return bagPooling;
  }

  /** One class index per bag (placeholder, default none). */
  public Operand<TInt32> bagLabels() {
    return bagLabels;
  }

  /** The bags' pooling sharpness r (placeholder, default 1). */
  public Operand<TFloat32> bagSharpness() {
    return bagSharpness;
  }

  /** The batch's bag term (0 without bags). */
  public Operand<TFloat32> bagLoss() {
    return bagLoss;
  }

  /** The reported loss: data loss plus the weight-decay penalty. */
  public Operand<TFloat32> trainLoss() {
    return trainLoss;
  }

  public List<Parameter> trainedVariables() {
    return trainedVariables;
  }

  /** Sets the L2-SP anchors to the current weights. */
  public Op anchorWeights() {
    return anchorWeights;
  }

  /** One optimisation step: every update, then the step counter. */
  public Op trainOp() {
    return trainOp;
  }

  /** The loss, fetched after the train op has run (the train_step signature's output). */
  public Operand<TFloat32> trainStepLoss() {
    return trainStepLoss;
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
    if (spec.numClasses() == 2) {
      bagLoss = tf.withName(ModelNames.OP_BAG_LOSS).identity(bagTerm(batchSize));
      dataLoss = l.math.add(dataLoss, bagLoss);
    }
    if (trainRecord.lesionLogits() != null) {
      lesionLoss = tf.withName(ModelNames.OP_LESION_LOSS).identity(denseLesionTerm(trainRecord.lesionLogits(), batchSize));
      dataLoss = l.math.add(dataLoss, lesionLoss);
    } else if (training.lesionGuidance()) {
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

  /**
   * The lesion head's supervision: per image with a lesion weight w > 0, binary cross-entropy
   * (mean over the grid) plus soft Dice (1 − (2Σpm + 1)/(Σp + Σm + 1), so an empty mask still
   * penalises predicted lesion) of the lesion channel against the mask's area fractions; per image
   * with a lung weight v > 0, cross-entropy of the lung channel. Each part is weighted and averaged
   * over the images that carry it, so a batch's few masked slices are not diluted by the rest.
   */
  private Operand<TFloat32> denseLesionTerm(Operand<TFloat32> logits, Operand<TInt32> batchSize) {
    Ops g = tf.withSubScope("lesion_head_loss");
    int h = (int) logits.shape().get(1);
    int w = (int) logits.shape().get(2);
    Operand<TFloat32> zeros = g.fill(g.stack(List.of(batchSize, g.constant(h), g.constant(w))), g.constant(0f));
    Operand<TFloat32> none = g.fill(g.expandDims(batchSize, g.constant(0)), g.constant(0f));
    lesionMasks = tf.withName(ModelNames.OP_LESION_MASKS).placeholderWithDefault(zeros, Shape.of(-1, h, w));
    lesionWeights = tf.withName(ModelNames.OP_LESION_WEIGHTS).placeholderWithDefault(none, Shape.of(-1));
    lungMasks = tf.withName(ModelNames.OP_LUNG_MASKS).placeholderWithDefault(zeros, Shape.of(-1, h, w));
    lungWeights = tf.withName(ModelNames.OP_LUNG_WEIGHTS).placeholderWithDefault(none, Shape.of(-1));
    Operand<TInt32> spatial = g.constant(new int[] {1, 2});
    Operand<TFloat32> lesion = org.ctnet.graph.blocks.LesionDecoder.channel(g, logits,
        org.ctnet.graph.blocks.LesionDecoder.LESION);
    Operand<TFloat32> lung = org.ctnet.graph.blocks.LesionDecoder.channel(g, logits,
        org.ctnet.graph.blocks.LesionDecoder.LUNG);
    Operand<TFloat32> p = g.math.sigmoid(lesion);
    Operand<TFloat32> one = g.constant(1f);
    Operand<TFloat32> dice = g.math.sub(one, g.math.div(
        g.math.add(g.math.mul(g.constant(2f), g.sum(g.math.mul(p, lesionMasks), spatial)), one),
        g.math.add(g.math.add(g.sum(p, spatial), g.sum(lesionMasks, spatial)), one)));
    Operand<TFloat32> lesionPerImage = g.math.add(g.math.mean(crossEntropy(g, lesion, lesionMasks), spatial), dice);
    Operand<TFloat32> lungPerImage = g.math.mean(crossEntropy(g, lung, lungMasks), spatial);
    return g.math.add(weightedMean(g, lesionPerImage, lesionWeights), weightedMean(g, lungPerImage, lungWeights));
  }

  /**
   * Multiple-instance learning over bags of slices (a study with one label): bag b's logit is the
   * weighted log-sum-exp of its member slices' binary logits z_i,
   * Z_b = c_b + (1/r)·log Σ_i W_bi·exp(r·(z_i − c_b)) with c_b the bag's largest member logit
   * (held constant, for stability) and rows of W summing to 1: r → 0 gives the weighted mean, large
   * r the maximum. The term is the class-weighted binary cross-entropy of Z_b against the bag's
   * label (smoothed like the slices'), averaged over the bags. Members carry no slice loss of their
   * own (the caller feeds them an example weight of 0): only the bag's label is known.
   */
  private Operand<TFloat32> bagTerm(Operand<TInt32> batchSize) {
    Ops g = tf.withSubScope("bag_terms");
    bagPooling = tf.withName(ModelNames.OP_BAG_POOLING).placeholderWithDefault(
        g.fill(g.stack(List.of(g.constant(0), batchSize)), g.constant(0f)), Shape.of(-1, -1));
    bagLabels = tf.withName(ModelNames.OP_BAG_LABELS).placeholderWithDefault(
        g.fill(g.constant(new int[] {0}), g.constant(0)), Shape.of(-1));
    bagSharpness = tf.withName(ModelNames.OP_BAG_SHARPNESS).placeholderWithDefault(g.constant(1f), Shape.scalar());
    Operand<TFloat32> z = g.expandDims(ClassifierHead.sigmoidLogit(g, trainLogits), g.constant(0)); // [1, N]
    Operand<TFloat32> member = g.dtypes.cast(g.math.greater(bagPooling, g.constant(0f)), TFloat32.class);
    // Non-members sit far below any logit, so the row maximum is the bag's own.
    Operand<TFloat32> lifted = g.math.add(g.math.mul(member, z), g.math.mul(g.math.sub(g.constant(1f), member),
        g.constant(-1e30f)));
    Operand<TFloat32> top = g.stopGradient(g.max(lifted, g.constant(1), org.tensorflow.op.core.Max.keepDims(true)));
    // Members' exponents are <= 0 by construction; the cap keeps non-members (weight 0) finite.
    Operand<TFloat32> exponent = g.math.minimum(g.math.mul(bagSharpness, g.math.sub(z, top)), g.constant(0f));
    Operand<TFloat32> pooledSum = g.sum(g.math.mul(bagPooling, g.math.exp(exponent)), g.constant(1));
    Operand<TFloat32> bagLogits = g.math.add(g.reshape(top, g.constant(new int[] {-1})),
        g.math.div(g.math.log(pooledSum), bagSharpness));
    float smoothing = (float) training.labelSmoothing();
    Operand<TFloat32> y = g.math.add(g.math.mul(g.dtypes.cast(bagLabels, TFloat32.class), g.constant(1 - smoothing)),
        g.constant(smoothing / 2));
    Operand<TFloat32> perBag = crossEntropy(g, bagLogits, y);
    Operand<TFloat32> oneHot = g.oneHot(bagLabels, g.constant(2), g.constant(1f), g.constant(0f));
    Operand<TFloat32> weights = g.sum(g.math.mul(oneHot, classWeights), g.constant(1));
    return g.math.divNoNan(g.sum(g.math.mul(perBag, weights), g.constant(0)), g.sum(weights, g.constant(0)));
  }

  /** Element-wise binary cross-entropy of logits x against targets y, stable form. */
  private static Operand<TFloat32> crossEntropy(Ops g, Operand<TFloat32> x, Operand<TFloat32> y) {
    return g.math.add(g.math.sub(g.math.maximum(x, g.zerosLike(x)), g.math.mul(x, y)),
        g.math.log1p(g.math.exp(g.math.neg(g.math.abs(x)))));
  }

  /** Σ w·v over the images with w > 0, divided by their count (0 when there are none). */
  private static Operand<TFloat32> weightedMean(Ops g, Operand<TFloat32> values, Operand<TFloat32> weights) {
    Operand<TFloat32> carried = g.dtypes.cast(g.math.greater(weights, g.constant(0f)), TFloat32.class);
    return g.math.divNoNan(g.sum(g.math.mul(values, weights), g.constant(0)), g.sum(carried, g.constant(0)));
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
