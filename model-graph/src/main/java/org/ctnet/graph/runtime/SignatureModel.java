package org.ctnet.graph.runtime;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.spec.NetworkSpec;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * A model run through its signatures' tensor names: the one implementation of predict, predict on
 * encoded images and explain, shared by models built here ({@link ModelSession}) and models loaded
 * from a SavedModel ({@link LoadedModel}). Tensors are created and closed here; callers get Java
 * arrays and records.
 */
abstract class SignatureModel implements Predictor {
  private final Session session;
  private final Map<String, Signature> signatures;
  private final ModelAssets assets;

  SignatureModel(Session session, Map<String, Signature> signatures, ModelAssets assets) {
    this.session = session;
    this.signatures = signatures;
    this.assets = assets;
  }

  @Override
  public ModelAssets assets() {
    return assets;
  }

  @Override
  public Map<String, Signature> signatures() {
    return signatures;
  }

  String tensorName(String signature, String name, boolean input) {
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

  TFloat32 imageTensor(float[] images, int n) {
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
  @Override
  public Prediction predict(float[] images, int n) {
    try (TFloat32 input = imageTensor(images, n)) {
      return runPrediction(ModelNames.SERVING_DEFAULT, ModelNames.IN_IMAGES, input, n);
    }
  }

  /** Runs serving_bytes: encoded PNG/JPEG/BMP/GIF images decoded and resized in the graph. */
  @Override
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
    Session.Runner runner = session.runner()
        .feed(tensorName(signature, inputName, true), input)
        .fetch(tensorName(signature, ModelNames.OUT_PROBABILITIES, false))
        .fetch(tensorName(signature, ModelNames.OUT_LOGITS, false));
    fetchLesion(runner, signature);
    try (Result r = runner.run()) {
      return new Prediction(rows(TensorIo.readFloats(r.get(0)), n), rows(TensorIo.readFloats(r.get(1)), n), lesion(r, 2, n));
    }
  }

  @Override
  public boolean hasLesionHead() {
    return signatures.get(ModelNames.SERVING_DEFAULT).getOutputs().keySet().containsAll(ModelNames.LESION_OUTPUTS);
  }

  /** Fetches the lesion outputs of {@code signature} too when the model has a lesion head. */
  private void fetchLesion(Session.Runner runner, String signature) {
    if (hasLesionHead()) {
      for (String out : ModelNames.LESION_OUTPUTS) {
        runner.fetch(tensorName(signature, out, false));
      }
    }
  }

  /** The lesion outputs fetched by {@link #fetchLesion} from result index {@code first} on (null without a head). */
  private LesionMaps lesion(Result r, int first, int n) {
    if (!hasLesionHead()) {
      return null;
    }
    long[] shape = r.get(first).shape().asArray();
    return new LesionMaps(rows(TensorIo.readFloats(r.get(first)), n), rows(TensorIo.readFloats(r.get(first + 1)), n),
        TensorIo.readFloats(r.get(first + 2)), TensorIo.readInts(r.get(first + 3)), (int) shape[1], (int) shape[2]);
  }

  /**
   * Runs the explain signature.
   *
   * @param classIndex per image: the class to explain, or -1 for the predicted one
   */
  @Override
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
      fetchLesion(runner, ModelNames.EXPLAIN);
      for (CamMethod m : methods) {
        runner.fetch(tensorName(ModelNames.EXPLAIN, m.key() + ModelNames.OUT_CAM_SUFFIX, false))
            .fetch(tensorName(ModelNames.EXPLAIN, m.key() + ModelNames.OUT_HEATMAP_SUFFIX, false))
            .fetch(tensorName(ModelNames.EXPLAIN, m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX, false));
      }
      try (Result r = runner.run()) {
        LesionMaps lesion = lesion(r, 3, n);
        Prediction p = new Prediction(rows(TensorIo.readFloats(r.get(0)), n), rows(TensorIo.readFloats(r.get(1)), n), lesion);
        int[] target = TensorIo.readInts(r.get(2));
        Map<CamMethod, Explanation.Maps> maps = new EnumMap<>(CamMethod.class);
        int k = lesion == null ? 3 : 3 + ModelNames.LESION_OUTPUTS.size();
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
  @Override
  public List<CamMethod> camMethods() {
    Signature explain = signatures.get(ModelNames.EXPLAIN);
    return java.util.Arrays.stream(CamMethod.values())
        .filter(m -> explain.getOutputs().containsKey(m.key() + ModelNames.OUT_HEATMAP_SUFFIX)).toList();
  }

  /**
   * The devices the serving signature's ops run on (e.g. {@code .../device:CPU:0} or
   * {@code .../device:GPU:0}), read from a traced run on one blank image.
   */
  @Override
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

  static float[][] rows(float[] flat, int n) {
    int width = flat.length / n;
    float[][] out = new float[n][width];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * width, out[i], 0, width);
    }
    return out;
  }

}
