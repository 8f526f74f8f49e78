package org.ctnet.graph.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.ModelGraph;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.layers.ParameterStore.Parameter;
import org.ctnet.graph.layers.ParameterStore.Role;
import org.ctnet.graph.train.TrainingSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A trainable model built here from a spec: training steps, checkpoints, weights restored from an
 * export, and export itself. It owns its {@link Graph} and {@link Session}; predictions and
 * explanations run through the same signatures as a {@link LoadedModel}. Tensors never leave this
 * class: callers pass and get flat Java arrays and records. Thread-safe for inference
 * ({@link Session#run} is); training calls must not run concurrently with each other.
 */
public final class ModelSession extends SignatureModel {
  private final Graph graph;
  private final Session session;
  private final ModelGraph modelGraph;

  private ModelSession(Graph graph, Session session, Map<String, Signature> signatures, ModelAssets assets,
      ModelGraph modelGraph) {
    super(session, signatures, assets);
    this.graph = graph;
    this.session = session;
    this.modelGraph = modelGraph;
  }

  /** Builds a fresh, randomly initialised model. */
  public static ModelSession create(ModelAssets assets, TrainingSpec training, SessionOptions options) {
    Graph graph = new Graph();
    try {
      ModelGraph model = ModelGraph.build(graph, assets.spec(), training, assets.preprocessing(),
          assets.calibration().temperature());
      Map<String, Signature> defs = new LinkedHashMap<>();
      for (Signature s : org.ctnet.graph.export.Signatures.of(model)) {
        defs.put(s.key(), s);
      }
      Session session = new Session(graph, options.toConfigProto());
      session.initialize();
      return new ModelSession(graph, session, defs, assets, model);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * Rebuilds the graph from the spec stored with an exported model and restores its network
   * weights (not its optimizer state), so it can be trained with any {@link TrainingSpec} — for
   * instance with frozen scopes for fine-tuning.
   */
  public static ModelSession rebuild(Path versionDir, TrainingSpec training, SessionOptions options)
      throws IOException {
    return rebuild(versionDir, training, options, null);
  }

  /** As {@link #rebuild(Path, TrainingSpec, SessionOptions)}, explaining another layer (null keeps the spec's). */
  public static ModelSession rebuild(Path versionDir, TrainingSpec training, SessionOptions options, String camLayer)
      throws IOException {
    ModelAssets stored = ModelAssets.read(versionDir);
    ModelAssets assets = camLayer == null ? stored
        : stored.withSpec(stored.spec().withCamLayer(camLayer));
    ModelSession model = create(assets, training, options);
    try {
      model.restoreNetworkWeights(versionDir.resolve("variables").resolve("variables"));
      model.anchorWeights();
      return model;
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * A new model with these assets (e.g. a fitted temperature, which is baked into the graph) and
   * this model's network weights; this one stays open and unchanged.
   */
  public ModelSession withAssets(ModelAssets newAssets, TrainingSpec training, SessionOptions options) throws IOException {
    Path dir = Files.createTempDirectory("ctnet-weights");
    try {
      Path prefix = dir.resolve("ckpt");
      saveCheckpoint(prefix);
      ModelSession copy = create(newAssets, training, options);
      try {
        copy.restoreNetworkWeights(prefix);
        return copy;
      } catch (RuntimeException e) {
        copy.close();
        throw e;
      }
    } finally {
      try (var walk = Files.walk(dir)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Sets the L2-SP anchors to the current weights: the starting point the penalty pulls toward. */
  public void anchorWeights() {
    session.runner().addTarget(modelGraph.trainingGraph().anchorWeights()).run().close();
  }

  /** Rows and columns of the grid lesion masks are fed on (the explained layer's), or null without lesion guidance. */
  public int[] lesionGrid() {
    if (modelGraph.trainingGraph().lesionMasks() == null) {
      return null;
    }
    var shape = modelGraph.trainingGraph().lesionMasks().shape();
    return new int[] {(int) shape.get(1), (int) shape.get(2)};
  }

  /**
   * One training step on n images. Updates weights, optimizer slots and batch-norm statistics.
   *
   * @param classWeights per-class loss weights, or null for equal weights
   */
  public StepResult trainStep(float[] images, int n, int[] labels, float learningRate, float[] classWeights) {
    return trainStep(images, n, labels, learningRate, classWeights, null);
  }

  /** As {@link #trainStep(float[], int, int[], float, float[])}, with lesion guidance's inputs (null = none). */
  public StepResult trainStep(float[] images, int n, int[] labels, float learningRate, float[] classWeights,
      LesionFeed lesion) {
    return trainStep(images, n, labels, learningRate, classWeights, lesion, null, null);
  }

  /**
   * As {@link #trainStep(float[], int, int[], float, float[], LesionFeed)}, with bags of images
   * that share one label (null = none) and per-image weights of the slice loss (null = from the
   * lesion feed, else 1; a bag's members usually carry 0: only the bag's label is known).
   */
  public StepResult trainStep(float[] images, int n, int[] labels, float learningRate, float[] classWeights,
      LesionFeed lesion, BagFeed bags, float[] exampleWeights) {
    if (exampleWeights != null && exampleWeights.length != n) {
      throw new IllegalArgumentException("need one example weight per image: " + n + ", got " + exampleWeights.length);
    }
    if (bags != null) {
      if (modelGraph.trainingGraph().bagLoss() == null) {
        throw new IllegalStateException("bags need a two-class model (multiple-instance learning pools a binary logit)");
      }
      bags.check(n);
    }
    if (labels.length != n) {
      throw new IllegalArgumentException("need one label per image: " + n + ", got " + labels.length);
    }
    for (int l : labels) {
      if (l < 0 || l >= spec().numClasses()) {
        throw new IllegalArgumentException("labels must be in [0, " + spec().numClasses() + "), got " + l);
      }
    }
    if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
    }
    int[] grid = lesionGrid();
    if (lesion != null) {
      if (grid == null) {
        throw new IllegalStateException("lesion masks need a graph built with lesion guidance (TrainingSpec.lesionGuidance)");
      }
      lesion.check(n, grid, hasLesionHead());
    }
    try (TFloat32 input = imageTensor(images, n);
        TInt32 y = TensorIo.ints(labels);
        TFloat32 lr = TensorIo.scalar(learningRate);
        TFloat32 weights = classWeights == null ? null : TensorIo.floats(classWeights, classWeights.length);
        TFloat32 sliceWeights = exampleWeights != null ? TensorIo.floats(exampleWeights, n)
            : lesion == null ? null : TensorIo.floats(lesion.exampleWeights(), n);
        TFloat32 bagPooling = bags == null ? null : TensorIo.floats(bags.pooling(), bags.bags(), n);
        TInt32 bagLabels = bags == null ? null : TensorIo.ints(bags.labels());
        TFloat32 bagSharpness = bags == null ? null : TensorIo.scalar(bags.sharpness());
        TFloat32 masks = lesion == null ? null : TensorIo.floats(lesion.masks(), n, grid[0], grid[1]);
        TFloat32 lesionWeights = lesion == null ? null : TensorIo.floats(lesion.weights(), n);
        TFloat32 lungMasks = lesion == null || lesion.lungMasks() == null ? null
            : TensorIo.floats(lesion.lungMasks(), n, grid[0], grid[1]);
        TFloat32 lungWeights = lesion == null || lesion.lungWeights() == null ? null
            : TensorIo.floats(lesion.lungWeights(), n)) {
      Session.Runner runner = session.runner()
          .feed(ModelNames.OP_IMAGES, input)
          .feed(ModelNames.OP_LABELS, y)
          .feed(ModelNames.OP_LEARNING_RATE, lr);
      if (weights != null) {
        runner.feed(ModelNames.OP_CLASS_WEIGHTS, weights);
      }
      if (sliceWeights != null) {
        runner.feed(ModelNames.OP_EXAMPLE_WEIGHTS, sliceWeights);
      }
      if (bags != null) {
        runner.feed(ModelNames.OP_BAG_POOLING, bagPooling).feed(ModelNames.OP_BAG_LABELS, bagLabels)
            .feed(ModelNames.OP_BAG_SHARPNESS, bagSharpness);
      }
      if (lesion != null) {
        runner.feed(ModelNames.OP_LESION_MASKS, masks)
            .feed(ModelNames.OP_LESION_WEIGHTS, lesionWeights);
        if (lungMasks != null && hasLesionHead()) {
          runner.feed(ModelNames.OP_LUNG_MASKS, lungMasks).feed(ModelNames.OP_LUNG_WEIGHTS, lungWeights);
        }
      }
      runner.fetch(ModelNames.OP_LOSS).fetch(ModelNames.OP_TRAIN_LOGITS);
      if (grid != null) {
        runner.fetch(ModelNames.OP_LESION_LOSS);
      }
      if (bags != null) {
        runner.fetch(ModelNames.OP_BAG_LOSS);
      }
      try (Result r = runner.run()) {
        float lesionLoss = grid == null ? Float.NaN : TensorIo.readScalar(r.get(2));
        float bagLoss = bags == null ? Float.NaN : TensorIo.readScalar(r.get(grid == null ? 2 : 3));
        return new StepResult(TensorIo.readScalar(r.get(0)), SignatureModel.rows(TensorIo.readFloats(r.get(1)), n),
            lesionLoss, bagLoss);
      }
    }
  }

  /** Number of training steps taken so far (the graph's global step). */
  public long globalStep() {
    try (Result r = session.runner().fetch(ModelNames.OP_GLOBAL_STEP).run()) {
      return (long) TensorIo.readScalar(r.get(0));
    }
  }

  /** Saves every variable (weights, statistics, optimizer state) to a checkpoint prefix. */
  public void saveCheckpoint(Path prefix) throws IOException {
    Files.createDirectories(prefix.toAbsolutePath().getParent());
    session.save(prefix.toString());
  }

  /** Restores every variable from a checkpoint written by {@link #saveCheckpoint}. */
  public void restoreCheckpoint(Path prefix) {
    try {
      session.restore(prefix.toString());
    } catch (org.tensorflow.exceptions.TensorFlowException e) {
      if (String.valueOf(e.getMessage()).contains("not found in checkpoint")) {
        throw new IllegalStateException("checkpoint " + prefix + " does not hold this model's variables: it was written "
            + "with another configuration (optimizer, network) or by an earlier CT-Net build (optimizer slots were renamed "
            + "when graph building was made linear); start the run again without --resume. TensorFlow: "
            + e.getMessage().lines().findFirst().orElse(""), e);
      }
      throw e;
    }
  }

  /**
   * Restores the network's weights and batch-norm statistics (not optimizer state) from a
   * checkpoint of a model with the same spec. Built once per call from RestoreV2 + Assign.
   */
  public void restoreNetworkWeights(Path prefix) {
    List<Parameter> params = modelGraph.parameters().all().stream()
        .filter(p -> p.role() != Role.OPTIMIZER).toList();
    Ops tf = Ops.create(graph).withSubScope("restore_network");
    List<String> names = params.stream().map(p -> p.variable().op().name()).toList();
    String[] slices = new String[names.size()];
    java.util.Arrays.fill(slices, "");
    List<Class<? extends org.tensorflow.types.family.TType>> types = new ArrayList<>();
    params.forEach(p -> types.add(TFloat32.class));
    var restored = tf.train.restore(tf.constant(prefix.toString()), tf.constant(java.nio.charset.StandardCharsets.UTF_8, names.toArray(new String[0])),
        tf.constant(java.nio.charset.StandardCharsets.UTF_8, slices), types);
    Session.Runner runner = session.runner();
    int i = 0;
    for (Parameter p : params) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> value = (Operand<TFloat32>) (Operand<?>) restored.tensors().get(i++);
      runner.addTarget(tf.assign(p.variable(), value));
    }
    runner.run().close();
  }

  /** Current values of every variable by path (for tests and diagnostics). */
  public Map<String, float[]> variableValues() {
    // One run for all: every new fetch set pays a graph optimisation of its own.
    List<Parameter> all = modelGraph.parameters().all();
    Session.Runner runner = session.runner();
    all.forEach(p -> runner.fetch(p.variable()));
    Map<String, float[]> values = new LinkedHashMap<>();
    try (Result r = runner.run()) {
      for (int i = 0; i < all.size(); i++) {
        values.put(all.get(i).path(), TensorIo.readFloats(r.get(i)));
      }
    }
    return values;
  }

  /** The graph handles; tests feed intermediate tensors with them. */
  public ModelGraph modelGraph() {
    return modelGraph;
  }

  /** The session, for callers in this module that feed intermediate tensors (tests, benchmarks). */
  public Session session() {
    return session;
  }

  /**
   * Exports to {@code modelDir/<version>} in the TF Serving layout, atomically: everything is
   * written to a hidden sibling folder first and renamed into place, so a server polling the
   * model folder never sees a half-written version.
   */
  public Path export(Path modelDir, long version, ModelAssets exportedAssets) throws IOException {
    return ModelExport.export(this, modelDir, version, exportedAssets, staging -> { });
  }

  /** As {@link #export(Path, long, ModelAssets)}, writing extra files into the version before it is published. */
  public Path export(Path modelDir, long version, ModelAssets exportedAssets, ModelExport.ExtraFiles extra)
      throws IOException {
    return ModelExport.export(this, modelDir, version, exportedAssets, extra);
  }

  Session sessionForExport() {
    return session;
  }

  List<Signature> signaturesForExport() {
    return List.copyOf(signatures().values());
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
