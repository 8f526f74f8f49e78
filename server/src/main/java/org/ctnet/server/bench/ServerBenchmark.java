package org.ctnet.server.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.server.ServerApp;
import org.ctnet.server.ServerSettings;

/**
 * Throughput and p50/p99 latency of predict and explain over HTTP at concurrency 1, 8 and 32,
 * against the same work run in-process through the SavedModel in the same run, and RSS growth over
 * many requests after warm-up. Loopback only.
 *
 * <p>Usage: {@code ./dev java -cp "server/target/server.jar:server/target/lib/*"
 * org.ctnet.server.bench.ServerBenchmark [--models saved_models] [--model ctnet] [--seconds 10]
 * [--soak 10000]}
 */
public final class ServerBenchmark {
  private record Stats(double throughput, double p50, double p99, int errors) {}

  public static void main(String[] args) throws Exception {
    Path models = Path.of("saved_models");
    String model = "ctnet";
    double seconds = 10;
    int soak = 10_000;
    String external = null;
    long serverPid = -1;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--external" -> external = args[++i];
        case "--server-pid" -> serverPid = Long.parseLong(args[++i]);
        case "--models" -> models = Path.of(args[++i]);
        case "--model" -> model = args[++i];
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--soak" -> soak = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path version = models.resolve(model).resolve(Long.toString(ModelExport.latestVersion(models.resolve(model)).orElseThrow()));
    ServerSettings settings = ServerSettings.defaults(models).withPort(0).withPolling(0).withLimits(64L << 20, 50_000_000L, 64, 4096);
    try (ServerApp app = new ServerApp(settings.withModelBasePath(external != null ? Path.of("/nonexistent") : models));
        ModelSession inProcess = ModelSession.load(version, SessionOptions.DEFAULT)) {
      URI base = external != null ? URI.create(external) : URI.create("http://127.0.0.1:" + app.start().port());
      int h = inProcess.spec().inputHeight();
      int w = inProcess.spec().inputWidth();
      float[] image = new float[h * w];
      Random r = new Random(1);
      for (int i = 0; i < image.length; i++) {
        image[i] = r.nextFloat();
      }
      String predictBody = body(image, h, w, false);
      String explainBody = body(image, h, w, true);
      java.awt.image.BufferedImage grey = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          grey.getRaster().setSample(x, y, 0, Math.round(image[y * w + x] * 255));
        }
      }
      java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
      javax.imageio.ImageIO.write(grey, "png", png);
      String pngBody = "{\"signature_name\":\"serving_bytes\",\"instances\":[{\"b64\":\""
          + java.util.Base64.getEncoder().encodeToString(png.toByteArray()) + "\"}]}";
      // HTTP/1.1 as TF Serving clients use it (the JDK client would otherwise try an h2c upgrade).
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
      System.out.printf("CT-Net server benchmark — model %s (%s), %d cores, %.0f s per point%n", model, version,
          Runtime.getRuntime().availableProcessors(), seconds);
      // warm-up
      load(client, base.resolve("/v1/models/" + model + ":predict"), predictBody, 8, 3);
      load(client, base.resolve("/v1/models/" + model + ":explain"), explainBody, 2, 3);
      double inBatch1 = inProcess(() -> inProcess.predict(image, 1), 1, seconds / 2);
      float[] eight = new float[8 * image.length];
      for (int i = 0; i < 8; i++) {
        System.arraycopy(image, 0, eight, i * image.length, image.length);
      }
      double inBatch8 = inProcess(() -> inProcess.predict(eight, 8), 8, seconds / 2);
      double inExplain = inProcess(() -> inProcess.explain(image, 1, new int[] {1}), 1, seconds / 2);
      double inBatch1Latency = 1000.0 / inBatch1;
      System.out.printf("in-process: predict batch 1 %.1f img/s (%.2f ms), batch 8 %.1f img/s, explain batch 1 %.1f img/s%n",
          inBatch1, inBatch1Latency, inBatch8, inExplain);
      System.out.printf("%-11s %11s %10s %10s %10s %7s %22s%n", "call", "concurrency", "req/s", "p50 ms", "p99 ms", "errors", "HTTP / in-process");
      for (String call : List.of("predict", "explain", "predict-png")) {
        for (int c : new int[] {1, 8, 32}) {
          String verb = call.startsWith("predict") ? "predict" : "explain";
          String payload = call.equals("predict") ? predictBody : call.equals("explain") ? explainBody : pngBody;
          Stats s = load(client, base.resolve("/v1/models/" + model + ":" + verb), payload, c, seconds);
          double reference = call.startsWith("predict") ? (c == 1 ? inBatch1 : inBatch8) : inExplain;
          System.out.printf("%-11s %11d %10.1f %10.2f %10.2f %7d %22.2f%n", call, c, s.throughput(), s.p50(), s.p99(), s.errors(),
              s.throughput() / reference);
        }
      }
      Stats single = load(client, base.resolve("/v1/models/" + model + ":predict"), predictBody, 1, seconds);
      System.out.printf("single-image predict p50 %.2f ms = %.2f x in-process batch-1 (%.2f ms)%n", single.p50(),
          single.p50() / inBatch1Latency, inBatch1Latency);
      // Soak warm-up: let the heap reach its working size before RSS is taken.
      load(client, base.resolve("/v1/models/" + model + ":predict"), predictBody, 8, seconds);
      long pid = serverPid > 0 ? serverPid : ProcessHandle.current().pid();
      long before = rssKb(pid);
      AtomicInteger done = new AtomicInteger();
      ExecutorService pool;
      List<Future<?>> futures = new ArrayList<>();
      int total = soak;

      pool = Executors.newFixedThreadPool(8);
      futures.clear();
      String target = "/v1/models/" + model + ":predict";
      for (int t = 0; t < 8; t++) {
        futures.add(pool.submit(() -> {
          while (done.incrementAndGet() <= total) {
            client.send(HttpRequest.newBuilder(base.resolve(target)).POST(HttpRequest.BodyPublishers.ofString(predictBody)).build(),
                HttpResponse.BodyHandlers.discarding());
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      pool.shutdown();
      long after = rssKb(pid);
      System.out.printf((serverPid > 0 ? "server process " : "this process ") + "RSS over %d requests after warm-up: %.1f MiB -> %.1f MiB (%+.2f%%)%n", total, before / 1024.0, after / 1024.0,
          100.0 * (after - before) / before);
    }
  }

  private static String body(float[] image, int h, int w, boolean explain) {
    StringBuilder sb = new StringBuilder("{\"instances\":[[");
    for (int y = 0; y < h; y++) {
      sb.append(y > 0 ? ",[" : "[");
      for (int x = 0; x < w; x++) {
        sb.append(x > 0 ? ",[" : "[").append(image[y * w + x]).append(']');
      }
      sb.append(']');
    }
    sb.append("]]");
    if (explain) {
      sb.append(",\"class_index\":1,\"method\":\"gradcampp\"");
    }
    return sb.append('}').toString();
  }

  private interface Work {
    void run();
  }

  private static double inProcess(Work work, int imagesPerCall, double seconds) {
    for (int i = 0; i < 3; i++) {
      work.run();
    }
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    int calls = 0;
    while (System.nanoTime() < deadline) {
      work.run();
      calls++;
    }
    return calls * imagesPerCall / ((System.nanoTime() - start) / 1e9);
  }

  private static Stats load(HttpClient client, URI uri, String body, int concurrency, double seconds) throws Exception {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    List<Future<List<Double>>> futures = new ArrayList<>();
    AtomicInteger errors = new AtomicInteger();
    long start = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      futures.add(pool.submit(() -> {
        List<Double> latencies = new ArrayList<>();
        while (System.nanoTime() < deadline) {
          long t0 = System.nanoTime();
          HttpResponse<Void> r = client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
              HttpResponse.BodyHandlers.discarding());
          latencies.add((System.nanoTime() - t0) / 1e6);
          if (r.statusCode() != 200) {
            errors.incrementAndGet();
          }
        }
        return latencies;
      }));
    }
    List<Double> all = new ArrayList<>();
    for (Future<List<Double>> f : futures) {
      all.addAll(f.get());
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    double[] sorted = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return new Stats(sorted.length / elapsed, sorted[sorted.length / 2], sorted[(int) (sorted.length * 0.99)], errors.get());
  }

  private static long rssKb(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
