package org.ctnet.server.repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ctnet.graph.export.WarmupRequests;
import org.tensorflow.proto.TensorProto;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.runtime.LoadedModel;

/**
 * Runs every signature the scheduler uses (serving_default, serving_bytes, explain) at every batch
 * size it forms (1 to max-batch-size) once, before a version is marked AVAILABLE. The first run of a
 * fetch set pays TensorFlow's graph optimisation and the first run of a shape pays oneDNN's kernel
 * set-up; without this, the first requests after a (re)load carry those costs.
 */
final class WarmUp {
  private WarmUp() {}

  /** What the warm-up ran: session runs and how long they took. */
  record Report(int runs, long millis) {}

  /**
   * The built-in warm-up, then the version's {@code assets.extra/tf_serving_warmup_requests} (TF
   * Serving's format) if it has one; a malformed file or a request that fails fails the load, as in
   * TF Serving.
   */
  static Report run(LoadedModel session, int maxBatch, Path versionDir) throws IOException {
    Report builtIn = run(session, maxBatch);
    Path file = versionDir.resolve(WarmupRequests.FILE);
    if (!Files.isRegularFile(file)) {
      return builtIn;
    }
    long start = System.nanoTime();
    List<WarmupRequests.Request> requests = WarmupRequests.read(file);
    for (WarmupRequests.Request r : requests) {
      replay(session, r, file);
    }
    return new Report(builtIn.runs() + requests.size(), builtIn.millis() + (System.nanoTime() - start) / 1_000_000);
  }

  private static void replay(LoadedModel session, WarmupRequests.Request r, Path file) throws IOException {
    TensorProto images = r.inputs().get(ModelNames.IN_IMAGES);
    switch (r.signature()) {
      case ModelNames.SERVING_DEFAULT -> session.predict(WarmupRequests.floats(need(images, r, file)),
          (int) WarmupRequests.shape(images)[0]);
      case ModelNames.SERVING_BYTES -> {
        TensorProto bytes = need(r.inputs().get(ModelNames.IN_IMAGE_BYTES), r, file);
        session.predictEncoded(bytes.getStringValList().stream().map(b -> b.toByteArray()).toList());
      }
      case ModelNames.EXPLAIN -> {
        TensorProto classes = need(r.inputs().get(ModelNames.IN_CLASS_INDEX), r, file);
        int n = (int) WarmupRequests.shape(need(images, r, file))[0];
        int[] index = new int[n];
        for (int i = 0; i < n; i++) {
          index[i] = classes.getIntValCount() == 1 ? classes.getIntVal(0) : classes.getIntVal(i);
        }
        session.explain(WarmupRequests.floats(images), n, index);
      }
      default -> throw new IOException(file + ": a warm-up request for signature '" + r.signature()
          + "', which is not one this server serves (" + ModelNames.SERVING_DEFAULT + ", " + ModelNames.SERVING_BYTES
          + ", " + ModelNames.EXPLAIN + ")");
    }
  }

  private static TensorProto need(TensorProto input, WarmupRequests.Request r, Path file) throws IOException {
    if (input == null || WarmupRequests.shape(input).length == 0) {
      throw new IOException(file + ": the " + r.signature() + " warm-up request lacks its input (has " + r.inputs().keySet() + ")");
    }
    return input;
  }

  static Report run(LoadedModel session, int maxBatch) {
    long start = System.nanoTime();
    int pixels = session.spec().inputShape().pixels();
    byte[] png;
    try {
      png = WarmupRequests.greyPng(session.spec().inputWidth(), session.spec().inputHeight());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    boolean bytes = session.signatures().containsKey(ModelNames.SERVING_BYTES);
    boolean explain = session.signatures().containsKey(ModelNames.EXPLAIN);
    int runs = 0;
    for (int n = 1; n <= maxBatch; n++) {
      float[] images = new float[n * pixels];
      Arrays.fill(images, 0.5f);
      session.predict(images, n);
      runs++;
      if (bytes) {
        List<byte[]> encoded = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          encoded.add(png);
        }
        session.predictEncoded(encoded);
        runs++;
      }
      if (explain) {
        int[] classes = new int[n];
        Arrays.fill(classes, -1);
        session.explain(images, n, classes);
        runs++;
      }
    }
    return new Report(runs, (System.nanoTime() - start) / 1_000_000);
  }
}
