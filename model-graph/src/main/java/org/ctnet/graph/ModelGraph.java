package org.ctnet.graph;

import java.util.List;
import java.util.Map;
import org.ctnet.graph.blocks.ResidualAttentionNetwork;
import org.ctnet.graph.cam.CamGraph;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.layers.BuildRecord;
import org.ctnet.graph.layers.Layers;
import org.ctnet.graph.layers.Mode;
import org.ctnet.graph.layers.ParameterStore;
import org.ctnet.graph.layers.ParameterStore.Parameter;
import org.ctnet.graph.layers.ParameterStore.Role;
import org.ctnet.graph.lesion.LesionReadout;
import org.ctnet.graph.preprocess.DecodeGraph;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.train.TrainingGraph;
import org.ctnet.graph.train.TrainingSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

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
  private final Operand<TFloat32> logits;
  private final Operand<TFloat32> probabilities;
  private final Operand<TFloat32> trainLogits;
  private final Variable<TFloat32> globalStep;
  private final CamGraph cam;
  private final TrainingGraph trainingGraph;
  private final BuildRecord inferenceRecord;
  private final List<BuildRecord.BatchStatistics> trainBatchStatistics;
  private final float temperature;
  private final LesionReadout lesion;

  private ModelGraph(Builder b) {
    this.lesion = b.lesion;
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
    this.logits = b.logits;
    this.probabilities = b.probabilities;
    this.trainLogits = b.trainLogits;
    this.globalStep = b.globalStep;
    this.cam = b.cam;
    this.trainingGraph = b.trainingGraph;
    this.inferenceRecord = b.inferenceRecord;
    this.trainBatchStatistics = b.trainBatchStatistics;
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
    preprocessing.requireSize(spec.inputHeight(), spec.inputWidth(), spec.inputChannels());
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
    Operand<TFloat32> logits;
    Operand<TFloat32> probabilities;
    Operand<TFloat32> trainLogits;
    Variable<TFloat32> globalStep;
    CamGraph cam;
    TrainingGraph trainingGraph;
    BuildRecord inferenceRecord;
    List<BuildRecord.BatchStatistics> trainBatchStatistics;
    LesionReadout lesion;

    final float temperature;

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
      images = tf.withName(ModelNames.OP_IMAGES).placeholderWithDefault(DecodeGraph.decodeBatch(tf, imageBytes, preprocessing), imageShape);
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

      trainingGraph = TrainingGraph.build(tf, spec, this.training, store, trainRecord, trainLogits, labels,
          classWeights, learningRate, globalStep, batchSize);
      cam = CamGraph.build(tf.withSubScope("cam"), rawLogits,
          inferenceRecord.feature(spec.effectiveCamLayer()), classIndex,
          spec.inputHeight(), spec.inputWidth(), List.of(CamMethod.values()), lastSoftMask());
      if (inferenceRecord.lesionLogits() != null) {
        lesion = LesionReadout.build(tf.withSubScope("lesion_readout"), inferenceRecord.lesionLogits(),
            spec.inputHeight(), spec.inputWidth());
      }
      return new ModelGraph(this);
    }

    private Operand<TFloat32> lastSoftMask() {
      Operand<TFloat32> last = null;
      for (Operand<TFloat32> m : inferenceRecord.softMasks().values()) {
        last = m;
      }
      return last;
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

  public Operand<TFloat32> probabilities() {
    return probabilities;
  }

  public Operand<TFloat32> trainLogits() {
    return trainLogits;
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

  /** The temperature the served logits are divided by. */
  public double temperature() {
    return temperature;
  }

  /** The training half: loss, lesion term, gradients, updates, the train op and the L2-SP anchors. */
  public TrainingGraph trainingGraph() {
    return trainingGraph;
  }

  /** The lesion head's readout on the inference path (named outputs), or null when the network has none. */
  public LesionReadout lesion() {
    return lesion;
  }
}
