package org.ctnet.graph.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.ModelGraph;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.export.ModelAssets;
import org.ctnet.graph.layers.ParameterStore.Parameter;
import org.ctnet.graph.layers.ParameterStore.Role;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.train.TrainingSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * A model ready to run: either a graph built here from a spec (owning its {@link Graph} and
 * {@link Session}) or a loaded {@link SavedModelBundle}. Both are driven through the same
 * signature tensor names, so trainer, server and tests use one API. Tensors never leave this
 * class: callers pass and get flat Java arrays and records. Thread-safe for inference
 * ({@link Session#run} is); training calls must not run concurrently with each other.
 */
public final class ModelSession implements AutoCloseable {
  private final AutoCloseable owner;
  private final Graph graph;
  private final Session session;
  private final Map<String, Signature> signatures;
  private final ModelAssets assets;
  /** Only set for graphs built here: lets export name signatures from live operands. */
  private final ModelGraph modelGraph;

  private ModelSession(
      AutoCloseable owner, Graph graph, Session session, Map<String, Signature> signatures,
      ModelAssets assets, ModelGraph modelGraph) {
    this.owner = owner;
    this.graph = graph;
    this.session = session;
    this.signatures = signatures;
    this.assets = assets;
    this.modelGraph = modelGraph;
  }

  /** Builds a fresh, randomly initialised model. */
  public static ModelSession create(ModelAssets assets, TrainingSpec training, SessionOptions options) {
    Graph graph = new Graph();
    try {
      ModelGraph model = ModelGraph.build(graph, assets.spec(), training, assets.preprocessing(),
          assets.calibration().temperature());
      Map<String, Signature> defs = new LinkedHashMap<>();
      for (Signature s : model.signatures()) {
        defs.put(s.key(), s);
      }
      Session session = new Session(graph, options.toConfigProto());
      session.initialize();
      Graph owned = graph;
      return new ModelSession(() -> { session.close(); owned.close(); }, graph, session, defs, assets, model);
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
    if (modelGraph == null) {
      throw new IllegalStateException("anchorWeights needs a graph built from a spec");
    }
    session.runner().addTarget(modelGraph.anchorWeights()).run().close();
  }

  /** Loads an exported SavedModel as it is (graph and all signatures, including train_step). */
  public static ModelSession load(Path versionDir, SessionOptions options) throws IOException {
    if (!Files.isRegularFile(versionDir.resolve("saved_model.pb"))) {
      throw new IOException("no saved_model.pb in " + versionDir);
    }
    ModelAssets assets = ModelAssets.read(versionDir);
    SavedModelBundle bundle = SavedModelBundle.loader(versionDir.toString())
        .withTags(ModelNames.TAG)
        .withConfigProto(options.toConfigProto())
        .load();
    Map<String, Signature> defs = new LinkedHashMap<>();
    for (Signature s : bundle.signatures()) {
      defs.put(s.key(), s);
    }
    for (String key : ModelNames.SIGNATURES) {
      if (!defs.containsKey(key)) {
        bundle.close();
        throw new IOException("model at " + versionDir + " lacks signature '" + key + "' (has " + defs.keySet() + ")");
      }
    }
    return new ModelSession(bundle, bundle.graph(), bundle.session(), defs, assets, null);
  }

  public ModelAssets assets() {
    return assets;
  }

  public NetworkSpec spec() {
    return assets.spec();
  }

  /** Signatures by key (for metadata endpoints). */
  public Map<String, Signature> signatures() {
    return signatures;
  }

  private String tensorName(String signature, String name, boolean input) {
    Signature def = signatures.get(signature);
    if (def == null) {
      throw new IllegalArgumentException("unknown signature '" + signature + "', have " + signatures.keySet());
    }
    Signature.TensorDescription info = (input ? def.getInputs() : def.getOutputs()).get(name);
    if (info == null) {
      throw new IllegalArgumentException("signature '" + signature + "' has no " + (input ? "input" : "output") + " '" + name + "'");
    }
    return info.name;
  }

  private int imagePixels() {
    return spec().inputShape().pixels();
  }

  private TFloat32 imageTensor(float[] images, int n) {
    NetworkSpec s = spec();
    if (n <= 0) {
      throw new IllegalArgumentException("batch size must be > 0, got " + n);
    }
    if (images.length != (long) n * imagePixels()) {
      throw new IllegalArgumentException("expected " + n + " images of " + s.inputShape() + " = " + ((long) n * imagePixels()) + " floats, got " + images.length);
    }
    return TensorIo.floats(images, n, s.inputHeight(), s.inputWidth(), s.inputChannels());
  }

  /** Runs serving_default on n images ([n, H, W, C] flattened, pixels in [0, 1]). */
  public Prediction predict(float[] images, int n) {
    try (TFloat32 input = imageTensor(images, n)) {
      return runPrediction(ModelNames.SERVING_DEFAULT, ModelNames.IN_IMAGES, input, n);
    }
  }

  /** Runs serving_bytes: encoded PNG/JPEG/BMP/GIF images decoded and resized in the graph. */
  public Prediction predictEncoded(List<byte[]> encodedImages) {
    if (encodedImages.isEmpty()) {
      throw new IllegalArgumentException("at least one encoded image is required");
    }
    try (TString input = TensorIo.strings(encodedImages)) {
      return runPrediction(ModelNames.SERVING_BYTES, ModelNames.IN_IMAGE_BYTES, input, encodedImages.size());
    }
  }

  /** One predict-style signature run; the caller owns (and closes) the input tensor. */
  private Prediction runPrediction(String signature, String inputName, Tensor input, int n) {
    try (Result r = session.runner()
        .feed(tensorName(signature, inputName, true), input)
        .fetch(tensorName(signature, ModelNames.OUT_PROBABILITIES, false))
        .fetch(tensorName(signature, ModelNames.OUT_LOGITS, false))
        .run()) {
      return new Prediction(rows(TensorIo.readFloats(r.get(0)), n), rows(TensorIo.readFloats(r.get(1)), n));
    }
  }

  /**
   * Runs the explain signature.
   *
   * @param classIndex per image: the class to explain, or -1 for the predicted one
   */
  public Explanation explain(float[] images, int n, int[] classIndex) {
    if (classIndex.length != n) {
      throw new IllegalArgumentException("need one class index per image: " + n + ", got " + classIndex.length);
    }
    for (int c : classIndex) {
      if (c >= spec().numClasses()) {
        throw new IllegalArgumentException("class index must be < " + spec().numClasses() + " (or -1 for the predicted class), got " + c);
      }
    }
    Session.Runner runner;
    List<CamMethod> methods = camMethods();
    try (TFloat32 input = imageTensor(images, n); TInt32 classes = TensorIo.ints(classIndex)) {
      runner = session.runner()
          .feed(tensorName(ModelNames.EXPLAIN, ModelNames.IN_IMAGES, true), input)
          .feed(tensorName(ModelNames.EXPLAIN, ModelNames.IN_CLASS_INDEX, true), classes)
          .fetch(tensorName(ModelNames.EXPLAIN, ModelNames.OUT_PROBABILITIES, false))
          .fetch(tensorName(ModelNames.EXPLAIN, ModelNames.OUT_LOGITS, false))
          .fetch(tensorName(ModelNames.EXPLAIN, ModelNames.OUT_TARGET_CLASS, false));
      for (CamMethod m : methods) {
        runner.fetch(tensorName(ModelNames.EXPLAIN, m.key() + ModelNames.OUT_CAM_SUFFIX, false))
            .fetch(tensorName(ModelNames.EXPLAIN, m.key() + ModelNames.OUT_HEATMAP_SUFFIX, false))
            .fetch(tensorName(ModelNames.EXPLAIN, m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX, false));
      }
      try (Result r = runner.run()) {
        Prediction p = new Prediction(rows(TensorIo.readFloats(r.get(0)), n), rows(TensorIo.readFloats(r.get(1)), n));
        int[] target = TensorIo.readInts(r.get(2));
        Map<CamMethod, Explanation.Maps> maps = new EnumMap<>(CamMethod.class);
        int k = 3;
        for (CamMethod m : methods) {
          Tensor cam = r.get(k++);
          Tensor heat = r.get(k++);
          Tensor evidence = r.get(k++);
          long[] camShape = cam.shape().asArray();
          long[] heatShape = heat.shape().asArray();
          maps.put(m, new Explanation.Maps(
              rows(TensorIo.readFloats(cam), n), (int) camShape[1], (int) camShape[2],
              rows(TensorIo.readFloats(heat), n), (int) heatShape[1], (int) heatShape[2],
              TensorIo.readBools(evidence)));
        }
        return new Explanation(p, target, maps);
      }
    }
  }

  /** The CAM methods this model's explain signature carries (older exports may have fewer). */
  public List<CamMethod> camMethods() {
    Signature explain = signatures.get(ModelNames.EXPLAIN);
    return java.util.Arrays.stream(CamMethod.values())
        .filter(m -> explain.getOutputs().containsKey(m.key() + ModelNames.OUT_HEATMAP_SUFFIX)).toList();
  }

  /**
   * Result of one optimisation step: the loss before the update, the training-mode logits and the
   * batch's lesion term (NaN when the graph has none).
   */
  public record StepResult(float loss, float[][] logits, float lesionLoss) {
    public StepResult(float loss, float[][] logits) {
      this(loss, logits, Float.NaN);
    }
  }

  /**
   * Per-image inputs of lesion guidance for one step ({@code TrainingSpec.lesionGuidance}).
   *
   * @param exampleWeights weight of each image's classification loss (0 = the image only guides the map)
   * @param masks lesion area fraction per cell of {@link #lesionGrid()}, n × rows × cols, row-major
   * @param weights weight of each image's lesion term (0 = no mask)
   */
  public record LesionFeed(float[] exampleWeights, float[] masks, float[] weights) {}

  /** Rows and columns of the grid lesion masks are fed on (the explained layer's), or null without lesion guidance. */
  public int[] lesionGrid() {
    if (modelGraph == null || modelGraph.lesionMasks() == null) {
      return null;
    }
    var shape = modelGraph.lesionMasks().shape();
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
      if (lesion.exampleWeights().length != n || lesion.weights().length != n
          || lesion.masks().length != (long) n * grid[0] * grid[1]) {
        throw new IllegalArgumentException("lesion feed for " + n + " images on a " + grid[0] + "x" + grid[1]
            + " grid needs " + n + " example weights, " + n + " lesion weights and " + ((long) n * grid[0] * grid[1])
            + " mask cells");
      }
    }
    try (TFloat32 input = imageTensor(images, n);
        TInt32 y = TensorIo.ints(labels);
        TFloat32 lr = TensorIo.scalar(learningRate);
        TFloat32 weights = classWeights == null ? null : TensorIo.floats(classWeights, classWeights.length);
        TFloat32 exampleWeights = lesion == null ? null : TensorIo.floats(lesion.exampleWeights(), n);
        TFloat32 masks = lesion == null ? null : TensorIo.floats(lesion.masks(), n, grid[0], grid[1]);
        TFloat32 lesionWeights = lesion == null ? null : TensorIo.floats(lesion.weights(), n)) {
      Session.Runner runner = session.runner()
          .feed(ModelNames.OP_IMAGES, input)
          .feed(ModelNames.OP_LABELS, y)
          .feed(ModelNames.OP_LEARNING_RATE, lr);
      if (weights != null) {
        runner.feed(ModelNames.OP_CLASS_WEIGHTS, weights);
      }
      if (lesion != null) {
        runner.feed(ModelNames.OP_EXAMPLE_WEIGHTS, exampleWeights)
            .feed(ModelNames.OP_LESION_MASKS, masks)
            .feed(ModelNames.OP_LESION_WEIGHTS, lesionWeights);
      }
      runner.fetch(ModelNames.OP_LOSS).fetch(ModelNames.OP_TRAIN_LOGITS);
      if (grid != null) {
        runner.fetch(ModelNames.OP_LESION_LOSS);
      }
      try (Result r = runner.run()) {
        float lesionLoss = grid == null ? Float.NaN : TensorIo.readScalar(r.get(2));
        return new StepResult(TensorIo.readScalar(r.get(0)), rows(TensorIo.readFloats(r.get(1)), n), lesionLoss);
      }
    }
  }

  /**
   * The devices the serving signature's ops run on (e.g. {@code .../device:CPU:0} or
   * {@code .../device:GPU:0}), read from a traced run on one blank image.
   */
  public List<String> servingDevices() {
    NetworkSpec s = spec();
    try (TFloat32 input = imageTensor(new float[imagePixels()], 1);
        Result r = session.runner()
            .feed(tensorName(ModelNames.SERVING_DEFAULT, ModelNames.IN_IMAGES, true), input)
            .fetch(tensorName(ModelNames.SERVING_DEFAULT, ModelNames.OUT_PROBABILITIES, false))
            .setOptions(org.tensorflow.proto.RunOptions.newBuilder()
                .setTraceLevel(org.tensorflow.proto.RunOptions.TraceLevel.FULL_TRACE).build())
            .runAndFetchMetadata()) {
      return r.getMetadata().map(m -> m.getStepStats().getDevStatsList().stream()
          .map(d -> d.getDevice()).distinct().sorted().toList()).orElse(List.of());
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
    session.restore(prefix.toString());
  }

  /**
   * Restores the network's weights and batch-norm statistics (not optimizer state) from a
   * checkpoint of a model with the same spec. Built once per call from RestoreV2 + Assign.
   */
  public void restoreNetworkWeights(Path prefix) {
    if (modelGraph == null) {
      throw new IllegalStateException("restoreNetworkWeights needs a graph built from a spec");
    }
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
    if (modelGraph == null) {
      throw new IllegalStateException("variableValues needs a graph built from a spec");
    }
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

  /** The graph handles (only for models built here); tests feed intermediate tensors with it. */
  public ModelGraph modelGraph() {
    if (modelGraph == null) {
      throw new IllegalStateException("a loaded SavedModel has no ModelGraph handles");
    }
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
    return List.copyOf(signatures.values());
  }

  private static float[][] rows(float[] flat, int n) {
    int width = flat.length / n;
    float[][] out = new float[n][width];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * width, out[i], 0, width);
    }
    return out;
  }

  @Override
  public void close() {
    try {
      owner.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing the model failed", e);
    }
  }
}
