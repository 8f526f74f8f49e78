package org.ctnet.server.repository;

import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.observe.Metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.graph.runtime.Prediction;

/**
 * One loaded model version and its inference scheduler. Requests acquire it for their whole
 * length; a version retired by a reload closes its session only after the last in-flight request
 * has released it. Every session call goes through the scheduler (micro-batched where the
 * signature allows it), never on a request thread.
 */
public final class ServedVersion {
  private record ExplainJob(float[] pixels, int[] classes) {}

  private final String model;
  private final long version;
  private final LoadedModel session;
  private final InferenceScheduler scheduler;
  private final InferenceScheduler.Lane<float[], Prediction> predictLane;
  private final InferenceScheduler.Lane<List<byte[]>, Prediction> encodedLane;
  private final InferenceScheduler.Lane<ExplainJob, Explanation> explainLane;
  private final InferenceScheduler.Lane<Supplier<?>, Object> callLane;
  private final AtomicInteger users = new AtomicInteger(1); // the repository's own reference
  private volatile boolean closed;
  private final List<String> devices;
  /** The version's fitted out-of-distribution flag (assets.extra/ood.json), or null. */
  private final org.ctnet.graph.check.OutOfDistribution.Calibration ood;

  ServedVersion(String model, long version, LoadedModel session, ServerSettings settings, Metrics metrics,
      org.ctnet.graph.check.OutOfDistribution.Calibration ood) {
    this.ood = ood;
    this.model = model;
    this.version = version;
    this.session = session;
    this.devices = session.servingDevices();
    int pixels = session.spec().inputShape().pixels();
    this.scheduler = new InferenceScheduler(settings, metrics, model, version);
    this.predictLane = scheduler.lane("predict", settings.maxBatchSize(), (inputs, n) -> {
      Prediction p = session.predict(concat(inputs, n * pixels), n);
      return split(inputs, x -> x.length / pixels, p::rows);
    });
    this.encodedLane = scheduler.lane("predict_bytes", settings.maxBatchSize(), (inputs, n) -> {
      List<byte[]> all = new ArrayList<>(n);
      inputs.forEach(all::addAll);
      Prediction p = session.predictEncoded(all);
      return split(inputs, List::size, p::rows);
    });
    this.explainLane = scheduler.lane("explain", settings.maxBatchSize(), (inputs, n) -> {
      float[] images = concat(inputs.stream().map(ExplainJob::pixels).toList(), n * pixels);
      int[] classes = new int[n];
      int k = 0;
      for (ExplainJob job : inputs) {
        System.arraycopy(job.classes(), 0, classes, k, job.classes().length);
        k += job.classes().length;
      }
      Explanation e = session.explain(images, n, classes);
      return split(inputs, job -> job.classes().length, e::rows);
    });
    this.callLane = scheduler.lane("call", 1, (inputs, n) -> List.of(inputs.get(0).get()));
    scheduler.start();
  }

  /**
   * {@code check} with the version's out-of-distribution flag for image {@code i} of {@code p} (unchanged
   * when the version has no fitted flag).
   */
  public org.ctnet.graph.check.InputCheck.Result withOutOfDistribution(org.ctnet.graph.check.InputCheck.Result check,
      Prediction p, int i) {
    return ood == null ? check : check.withOutOfDistribution(ood.flags(p, i, session.assets().positiveClass()));
  }

  /** Each image's checks with the version's out-of-distribution flag (null stays null: not asked for). */
  public List<org.ctnet.graph.check.InputCheck.Result> withOutOfDistribution(
      List<org.ctnet.graph.check.InputCheck.Result> checks, Prediction p) {
    if (checks == null || ood == null) {
      return checks;
    }
    List<org.ctnet.graph.check.InputCheck.Result> out = new ArrayList<>();
    for (int i = 0; i < checks.size(); i++) {
      out.add(withOutOfDistribution(checks.get(i), p, i));
    }
    return out;
  }

  public String model() {
    return model;
  }

  public long version() {
    return version;
  }

  /** The served model, for what requests read of it (spec, assets, signatures); runs go through the scheduler. */
  public Predictor predictor() {
    return session;
  }

  /** Where the serving ops run (CPU, or GPU with the gpu build and a visible device). */
  public List<String> devices() {
    return devices;
  }

  /** serving_default on n images ([n,H,W,C] flattened), micro-batched with other requests. */
  public CompletableFuture<Prediction> predict(float[] images, int n) {
    RequestScope.charge(n, false);
    return scheduler.submit(predictLane, images, n);
  }

  /** serving_bytes on encoded images, micro-batched with other requests. */
  public CompletableFuture<Prediction> predictEncoded(List<byte[]> encoded) {
    RequestScope.charge(encoded.size(), false);
    return scheduler.submit(encodedLane, encoded, encoded.size());
  }

  /** The explain signature, micro-batched; classes holds one class index (or -1) per image. */
  public CompletableFuture<Explanation> explain(float[] images, int[] classes) {
    RequestScope.charge(classes.length, true);
    return scheduler.submit(explainLane, new ExplainJob(images, classes), classes.length);
  }

  /** Any other session work (e.g. flip-averaged explanations), one call per run. */
  @SuppressWarnings("unchecked")
  public <T> CompletableFuture<T> call(Supplier<T> work) {
    return (CompletableFuture<T>) (CompletableFuture<?>) scheduler.submit(callLane, work, 1);
  }

  /** @return false if the version is already being unloaded */
  boolean acquire() {
    while (true) {
      int n = users.get();
      if (n <= 0) {
        return false;
      }
      if (users.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  void release() {
    if (users.decrementAndGet() == 0) {
      closed = true;
      scheduler.close();
      session.close();
    }
  }

  boolean isClosed() {
    return closed;
  }

  private static float[] concat(List<float[]> parts, int length) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    float[] out = new float[length];
    int offset = 0;
    for (float[] part : parts) {
      System.arraycopy(part, 0, out, offset, part.length);
      offset += part.length;
    }
    return out;
  }

  /** Each input's rows of a batch output, in input order. */
  private static <I, O> List<O> split(List<I> inputs, java.util.function.ToIntFunction<I> rowsOf,
      java.util.function.BiFunction<Integer, Integer, O> rows) {
    if (inputs.size() == 1) {
      return List.of(rows.apply(0, rowsOf.applyAsInt(inputs.get(0))));
    }
    List<O> out = new ArrayList<>(inputs.size());
    int from = 0;
    for (I input : inputs) {
      int to = from + rowsOf.applyAsInt(input);
      out.add(rows.apply(from, to));
      from = to;
    }
    return out;
  }
}
