package org.ctnet.server.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.LesionMaps;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.ServedVersion;

/**
 * KServe's Open Inference Protocol (v2) whatever the wire: model metadata, and infer on {@code images}
 * (FP32) or {@code image_bytes} (BYTES) with the explain signature's outputs by name. REST
 * ({@link KServeJson}) and gRPC read their message into {@link Images}, call {@link #infer} and write
 * the {@link NamedTensor}s back: the checks, their messages and the outputs are the same on both.
 */
public final class KServeOperations {
  /** What a model's metadata says: its available versions, inputs and outputs (shapes with -1 for n). */
  public record Metadata(String name, List<String> versions, List<TensorSpec> inputs, List<TensorSpec> outputs,
      List<String> devices) {}

  /** One declared tensor. */
  public record TensorSpec(String name, String datatype, long... shape) {}

  private final ModelRepository repository;
  private final ServerSettings settings;
  private final ImageInputs inputs;
  private final SchedulerCalls calls;

  public KServeOperations(ModelRepository repository, ServerSettings settings, ImageInputs inputs, SchedulerCalls calls) {
    this.repository = repository;
    this.settings = settings;
    this.inputs = inputs;
    this.calls = calls;
  }

  /** Runs {@code work} on the version a request names (empty or null: the latest), within one lease. */
  public <T> T onVersion(String model, String version, Function<ServedVersion, T> work) {
    try (ModelRepository.Lease lease = repository.acquire(model, version == null || version.isEmpty() ? null : version,
        null)) {
      return work.apply(lease.version());
    }
  }

  public Metadata metadata(String model, String version) {
    return onVersion(model, version, served -> {
      NetworkSpec spec = served.predictor().spec();
      List<String> versions = repository.status(model).values().stream().filter(s -> s.state().equals("AVAILABLE"))
          .map(s -> Long.toString(s.version())).toList();
      List<TensorSpec> in = List.of(
          new TensorSpec(ModelNames.IN_IMAGES, "FP32", -1, spec.inputHeight(), spec.inputWidth(), spec.inputChannels()),
          new TensorSpec(ModelNames.IN_IMAGE_BYTES, "BYTES", -1));
      List<TensorSpec> out = new ArrayList<>(List.of(
          new TensorSpec(ModelNames.OUT_PROBABILITIES, "FP32", -1, spec.numClasses()),
          new TensorSpec(ModelNames.OUT_LOGITS, "FP32", -1, spec.numClasses())));
      if (served.predictor().hasLesionHead()) {
        out.add(new TensorSpec(ModelNames.OUT_LESION_MAP, "FP32", -1, spec.inputHeight(), spec.inputWidth()));
        out.add(new TensorSpec(ModelNames.OUT_LUNG_MAP, "FP32", -1, spec.inputHeight(), spec.inputWidth()));
        out.add(new TensorSpec(ModelNames.OUT_LUNG_INVOLVEMENT, "FP32", -1));
        out.add(new TensorSpec(ModelNames.OUT_SEVERITY, "INT32", -1));
      }
      return new Metadata(model, versions, in, out, served.devices());
    });
  }

  /** OIP model readiness: of the model (version null or empty) or of one version. */
  public boolean ready(String model, String version) {
    if (version == null || version.isEmpty()) {
      return repository.ready(model);
    }
    try {
      return repository.ready(model, Long.parseLong(version));
    } catch (NumberFormatException e) {
      throw ServingException.badRequest("a model version is an integer, got '" + version + "'");
    }
  }

  /** A request holds exactly one input tensor. */
  public static void checkInputCount(int count) {
    if (count != 1) {
      throw ServingException.badRequest("inputs must hold one tensor: '" + ModelNames.IN_IMAGES + "' (FP32) or '"
          + ModelNames.IN_IMAGE_BYTES + "' (BYTES), got " + count);
    }
  }

  /**
   * Checks the one input's name and datatype against each other and, for FP32, its shape against the
   * model; returns n for FP32 (the images the data must hold), -1 for BYTES (n is the files' count).
   */
  public int checkInput(NetworkSpec spec, String name, String datatype, List<Long> shape) {
    switch (datatype) {
      case "FP32" -> {
        expectName(name, ModelNames.IN_IMAGES, datatype);
        if (shape.size() != 4 || shape.get(1) != spec.inputHeight() || shape.get(2) != spec.inputWidth()
            || shape.get(3) != spec.inputChannels()) {
          throw ServingException.badRequest("FP32 input shape must be [n, " + spec.inputHeight() + ", " + spec.inputWidth()
              + ", " + spec.inputChannels() + "], got " + shape);
        }
        return Images.checkCount(shape.get(0), settings.maxInstances());
      }
      case "BYTES" -> {
        expectName(name, ModelNames.IN_IMAGE_BYTES, datatype);
        return -1;
      }
      default -> throw ServingException.badRequest("datatype must be FP32 or BYTES, got '" + datatype + "'");
    }
  }

  private static void expectName(String name, String expected, String datatype) {
    if (!name.equals(expected)) {
      throw ServingException.badRequest("a " + datatype + " input is named '" + expected + "', got '" + name + "'");
    }
  }

  /** FP32 data: as many values as the shape needs, all finite. */
  public static float[] checkedPixels(float[] pixels, long expected) {
    if (pixels.length != expected) {
      throw ServingException.badRequest("inputs[0] holds " + pixels.length + " values, the shape needs " + expected);
    }
    for (int i = 0; i < pixels.length; i++) {
      if (!Float.isFinite(pixels[i])) {
        throw ServingException.badRequest("inputs[0] holds a non-finite value at " + i);
      }
    }
    return pixels;
  }

  /** Every output an infer request may name: serving_default's and the explain signature's. */
  public static List<String> outputNames(Predictor model) {
    List<String> known = new ArrayList<>(List.of(ModelNames.OUT_PROBABILITIES, ModelNames.OUT_LOGITS,
        ModelNames.OUT_TARGET_CLASS));
    if (model.hasLesionHead()) {
      known.addAll(ModelNames.LESION_OUTPUTS);
    }
    known.add(ModelNames.OUT_INPUT_CHECK); // BYTES [n]: each image's input check, when named
    for (CamMethod m : model.camMethods()) {
      known.addAll(List.of(m.key() + ModelNames.OUT_HEATMAP_SUFFIX, m.key() + ModelNames.OUT_CAM_SUFFIX,
          m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX));
    }
    return known;
  }

  /**
   * Runs serving_default, or the explain signature when the request names any of its outputs
   * ({@code <method>_heatmap}, {@code <method>_cam}, {@code <method>_has_evidence}, {@code target_class}),
   * for {@code classIndex} (see {@link ClassIndex#of}) or else the class served as the label. Returns the
   * outputs named in {@code wanted}, or the default ones when it is empty, in a fixed order.
   */
  public List<NamedTensor> infer(ServedVersion served, Images images, List<String> wanted, Object classIndex) {
    Predictor model = served.predictor();
    List<String> known = outputNames(model);
    for (String w : wanted) {
      if (!known.contains(w)) {
        throw ServingException.badRequest("unknown output '" + w + "'; outputs are " + String.join(", ", known));
      }
    }
    Images.Pixels pixels = pixels(model, images);
    int n = pixels.count();
    boolean explain = wanted.stream().anyMatch(w -> !w.equals(ModelNames.OUT_PROBABILITIES)
        && !w.equals(ModelNames.OUT_LOGITS) && !ModelNames.LESION_OUTPUTS.contains(w) && !w.equals(ModelNames.OUT_INPUT_CHECK));
    List<InputCheck.Result> checks = wanted.contains(ModelNames.OUT_INPUT_CHECK)
        ? ImageInputs.checks(model, pixels.values(), n) : null;
    Explanation e = null;
    Prediction p;
    if (explain) {
      int requested = ClassIndex.of(classIndex, model.spec().numClasses(), "parameters.class_index");
      e = calls.explanation(served, pixels.values(), n, ClassIndex.forEach(n, requested), false);
      p = e.prediction();
    } else {
      p = calls.await(served.predict(pixels.values(), n));
    }
    return outputs(served, p, e, checks, wanted);
  }

  private Images.Pixels pixels(Predictor model, Images images) {
    return switch (images) {
      case Images.Pixels p -> p;
      case Images.Encoded e -> {
        Images.checkCount(e.files().size(), settings.maxInstances());
        ImageInputs.Batch b = inputs.decodeInJava(model, e.files());
        yield new Images.Pixels(b.pixels(), b.count());
      }
    };
  }

  private static List<NamedTensor> outputs(ServedVersion served, Prediction p, Explanation e,
      List<InputCheck.Result> checks, List<String> wanted) {
    int n = p.size();
    long classes = served.predictor().spec().numClasses();
    List<NamedTensor> out = new ArrayList<>();
    if (wanted.isEmpty() || wanted.contains(ModelNames.OUT_PROBABILITIES)) {
      out.add(NamedTensor.rows(ModelNames.OUT_PROBABILITIES, new long[] {n, classes}, p.probabilities()));
    }
    if (wanted.isEmpty() || wanted.contains(ModelNames.OUT_LOGITS)) {
      out.add(NamedTensor.rows(ModelNames.OUT_LOGITS, new long[] {n, classes}, p.logits()));
    }
    if (p.lesion() != null) {
      lesionOutputs(out, p.lesion(), wanted, n);
    }
    if (checks != null) {
      out.add(new NamedTensor.Strings(ModelNames.OUT_INPUT_CHECK, new long[] {n},
          served.withOutOfDistribution(checks, p).stream().map(InputCheck.Result::code).toList()));
    }
    if (e != null) {
      for (String w : wanted) {
        explainOutput(served.predictor(), e, w, n, out);
      }
    }
    return out;
  }

  /** As in TF Serving's answer: the scalars by default, the maps (n × H × W floats each) when named. */
  private static void lesionOutputs(List<NamedTensor> out, LesionMaps l, List<String> wanted, int n) {
    if (wanted.isEmpty() || wanted.contains(ModelNames.OUT_LUNG_INVOLVEMENT)) {
      out.add(new NamedTensor.Floats(ModelNames.OUT_LUNG_INVOLVEMENT, new long[] {n}, l.involvement()));
    }
    if (wanted.isEmpty() || wanted.contains(ModelNames.OUT_SEVERITY)) {
      out.add(new NamedTensor.Ints(ModelNames.OUT_SEVERITY, new long[] {n}, l.severity()));
    }
    if (wanted.contains(ModelNames.OUT_LESION_MAP)) {
      out.add(NamedTensor.rows(ModelNames.OUT_LESION_MAP, new long[] {n, l.height(), l.width()}, l.lesionMaps()));
    }
    if (wanted.contains(ModelNames.OUT_LUNG_MAP)) {
      out.add(NamedTensor.rows(ModelNames.OUT_LUNG_MAP, new long[] {n, l.height(), l.width()}, l.lungMaps()));
    }
  }

  private static void explainOutput(Predictor model, Explanation e, String wanted, int n, List<NamedTensor> out) {
    if (wanted.equals(ModelNames.OUT_TARGET_CLASS)) {
      out.add(new NamedTensor.Ints(wanted, new long[] {n}, e.targetClass()));
      return;
    }
    for (CamMethod m : model.camMethods()) {
      Explanation.Maps maps = e.maps().get(m);
      if (wanted.equals(m.key() + ModelNames.OUT_HEATMAP_SUFFIX)) {
        out.add(NamedTensor.rows(wanted, new long[] {n, maps.height(), maps.width()}, maps.heatmap()));
      } else if (wanted.equals(m.key() + ModelNames.OUT_CAM_SUFFIX)) {
        out.add(NamedTensor.rows(wanted, new long[] {n, maps.camHeight(), maps.camWidth()}, maps.cam()));
      } else if (wanted.equals(m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX)) {
        out.add(new NamedTensor.Bools(wanted, new long[] {n}, maps.hasEvidence()));
      }
    }
  }
}
