package org.ctnet.server.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.ServedVersion;

/**
 * TF Serving's Predict and model status whatever the wire: which signatures are served, how many
 * images a request may hold and in which shape, the class an explanation is for, the input checks.
 * REST ({@link TfServingJson}) and gRPC read their message into {@link Images}, call these, and write
 * the answer back: the checks, their messages and the numbers are the same on both.
 */
public final class TfServingOperations {
  /** A prediction and, when asked for, each image's input check (the model's own out-of-distribution flag among them). */
  public record Predicted(Prediction prediction, List<InputCheck.Result> checks) {}

  private final ModelRepository repository;
  private final ServerSettings settings;
  private final ImageInputs inputs;
  private final SchedulerCalls calls;

  public TfServingOperations(ModelRepository repository, ServerSettings settings, ImageInputs inputs,
      SchedulerCalls calls) {
    this.repository = repository;
    this.settings = settings;
    this.inputs = inputs;
    this.calls = calls;
  }

  /** Runs {@code work} on the version a request names (by number or label; neither: the latest), within one lease. */
  public <T> T onVersion(String model, String version, String label, Function<ServedVersion, T> work) {
    if (model == null || model.isEmpty()) {
      throw ServingException.badRequest("model_spec.name is required");
    }
    try (ModelRepository.Lease lease = repository.acquire(model, version, label)) {
      return work.apply(lease.version());
    }
  }

  /**
   * The signature a Predict names (none: serving_default). {@code explainHere}: whether this operation
   * serves the explain signature (gRPC Predict does; REST has :explain for it).
   */
  public static String signature(String requested, boolean explainHere) {
    String s = requested == null || requested.isEmpty() ? ModelNames.SERVING_DEFAULT : requested;
    return switch (s) {
      case ModelNames.SERVING_DEFAULT, ModelNames.SERVING_BYTES -> s;
      case ModelNames.EXPLAIN -> {
        if (!explainHere) {
          throw ServingException.badRequest("signature_name '" + ModelNames.EXPLAIN + "' is served by :explain, not "
              + ":predict; :predict serves " + ModelNames.SERVING_DEFAULT + " and " + ModelNames.SERVING_BYTES);
        }
        yield s;
      }
      case ModelNames.TRAIN_STEP -> throw ServingException.badRequest(
          "signature '" + ModelNames.TRAIN_STEP + "' is not served: it changes the model's weights");
      default -> throw ServingException.badRequest("unknown signature '" + s + "'; served: "
          + ModelNames.SERVING_DEFAULT + ", " + ModelNames.SERVING_BYTES + ", " + ModelNames.EXPLAIN);
    };
  }

  /** 1..max-instances images in a request. */
  public int checkCount(long n) {
    return Images.checkCount(n, settings.maxInstances());
  }

  /** n from an images tensor of shape [n, H, W, C] (or [n, H, W] for one channel). */
  public int imageCount(NetworkSpec network, long[] shape) {
    boolean fits = (shape.length == 4 && shape[1] == network.inputHeight() && shape[2] == network.inputWidth()
            && shape[3] == network.inputChannels()
            || shape.length == 3 && network.inputChannels() == 1 && shape[1] == network.inputHeight()
            && shape[2] == network.inputWidth());
    if (!fits) {
      throw ServingException.badRequest("input '" + ModelNames.IN_IMAGES + "' must have shape [n, " + network.inputHeight()
          + ", " + network.inputWidth() + ", " + network.inputChannels() + "], got " + java.util.Arrays.toString(shape));
    }
    return checkCount(shape[0]);
  }

  /** serving_default on pixels or serving_bytes on files, with each image's input check when asked. */
  public Predicted predict(ServedVersion served, Images images, boolean withChecks) {
    Prediction p;
    List<InputCheck.Result> checks = null;
    switch (images) {
      case Images.Pixels px -> {
        checkCount(px.count());
        checks = withChecks ? ImageInputs.checks(served.predictor(), px.values(), px.count()) : null;
        p = calls.await(served.predict(px.values(), px.count()));
      }
      case Images.Encoded e -> {
        checkCount(e.files().size());
        if (withChecks) {
          ImageInputs.Batch b = inputs.decodeInJava(served.predictor(), e.files());
          checks = ImageInputs.checks(served.predictor(), b.pixels(), b.count());
        }
        p = inputs.predictEncoded(served, e.files(), calls);
      }
    }
    return new Predicted(p, served.withOutOfDistribution(checks, p));
  }

  /** The explain signature for each image's class (see {@link ClassIndex}); {@code smooth}: SmoothGrad. */
  public Explanation explain(ServedVersion served, Images.Pixels images, int[] classes, boolean smooth) {
    checkCount(images.count());
    int numClasses = served.predictor().spec().numClasses();
    for (int c : classes) {
      ClassIndex.of((long) c, numClasses, ModelNames.IN_CLASS_INDEX);
    }
    return calls.explanation(served, images.values(), images.count(), classes, smooth);
  }

  /**
   * Model status: every version, or the one a number or label names (404 when there is none); a
   * version that is not a number is refused.
   */
  public List<ModelRepository.VersionStatus> statuses(String model, String version, String label) {
    if (model == null || model.isEmpty()) {
      throw ServingException.badRequest("model_spec.name is required");
    }
    Map<Long, ModelRepository.VersionStatus> statuses = repository.status(model);
    Long only = repository.namedVersion(model, version, label);
    if (only != null && label == null && !statuses.containsKey(only)) {
      throw ServingException.notFound("Could not find version " + version + " of model " + model);
    }
    List<ModelRepository.VersionStatus> chosen = new ArrayList<>();
    for (ModelRepository.VersionStatus s : statuses.values()) {
      if (only == null || s.version() == only) {
        chosen.add(s);
      }
    }
    return chosen;
  }

  /** The devices each available version of a model runs on (for the overview page). */
  public Map<Long, List<String>> devices(String model) {
    Map<Long, List<String>> out = new java.util.LinkedHashMap<>();
    for (ModelRepository.VersionStatus s : repository.status(model).values()) {
      if (s.state().equals("AVAILABLE")) {
        try (ModelRepository.Lease lease = repository.acquire(model, Long.toString(s.version()), null)) {
          out.put(s.version(), lease.version().devices());
        } catch (ServingException e) {
          // unloaded between the two calls: nothing to report
        }
      }
    }
    return out;
  }

  public List<String> models() {
    return repository.models();
  }
}
