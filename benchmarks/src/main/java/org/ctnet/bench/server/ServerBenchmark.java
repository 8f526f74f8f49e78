package org.ctnet.bench.server;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.server.ServerApp;
import org.ctnet.server.grpc.TfServingGrpc;
import org.ctnet.server.grpc.proto.tfs.PredictRequest;
import org.ctnet.server.config.ServerSettings;

/**
 * Throughput and p50/p99 latency of predict and explain over HTTP at concurrency 1, 8 and 32,
 * against the same work run in-process through the SavedModel in the same run, and RSS growth over
 * many requests after warm-up. Loopback only, with a lean keep-alive client ({@link LeanHttpClient}).
 *
 * <p>This machine's speed drifts by tens of percent within minutes, so the in-process references
 * and the HTTP points are measured in interleaved rounds and each ratio is taken within its round;
 * the table shows medians over rounds.
 *
 * <p>Usage: {@code ./dev java -cp "benchmarks/target/benchmarks.jar"
 * org.ctnet.bench.server.ServerBenchmark [--models saved_models] [--model ctnet] [--seconds 4]
 * [--rounds 3] [--soak 10000] [--external http://host:port --server-pid PID]}. Use {@code --rounds 0} for the
 * memory soak alone, {@code --soak 0} to skip it.
 */
public final class ServerBenchmark {
  /** One kind of request, and how to put load on the server with it. */
  private record Call(String name, boolean batchedReference, LoadPoint load) {}

  @FunctionalInterface
  private interface LoadPoint {
    LoadDriver.Stats run(int concurrency, double seconds) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    Path models = Path.of("saved_models");
    String model = "ctnet";
    double seconds = 4;
    int rounds = 3;
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
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--soak" -> soak = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Path version = models.resolve(model).resolve(Long.toString(ModelExport.latestVersion(models.resolve(model)).orElseThrow()));
    ServerSettings settings = ServerSettings.defaults(models).withPort(0).withGrpcPort(0).withPolling(0)
        .withLimits(64L << 20, 50_000_000L, 64, 4096);
    try (ServerApp app = new ServerApp(settings.withModelBasePath(external != null ? Path.of("/nonexistent") : models));
        // the same session options as the server's (the intra-op pool is process-wide anyway)
        LoadedModel inProcess = LoadedModel.load(version, ServerApp.SESSION_OPTIONS)) {
      URI base = external != null ? URI.create(external) : URI.create("http://127.0.0.1:" + app.start().port());
      int h = inProcess.spec().inputHeight();
      int w = inProcess.spec().inputWidth();
      float[] image = new float[h * w];
      Random r = new Random(1);
      for (int i = 0; i < image.length; i++) {
        image[i] = r.nextFloat();
      }
      String rest = "/v1/models/" + model + ":";
      byte[] predictJson = body(image, h, w, false);
      byte[] explainJson = body(image, h, w, true);
      byte[] pngJson = LoadDriver.pngPredictBody(image, h, w);
      List<Call> calls = new ArrayList<>(List.of(
          new Call("predict (JSON floats)", true, (c, t) -> LoadDriver.http(base, rest + "predict", predictJson, c, t)),
          new Call("explain (JSON floats)", false, (c, t) -> LoadDriver.http(base, rest + "explain", explainJson, c, t)),
          new Call("predict-png (b64)", true, (c, t) -> LoadDriver.http(base, rest + "predict", pngJson, c, t))));
      io.grpc.ManagedChannel channel = null;
      if (external == null && app.grpcPort() >= 0) {
        channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort())
            .usePlaintext().maxInboundMessageSize(64 << 20).build();
        io.grpc.ManagedChannel grpc = channel;
        PredictRequest predict = GrpcRequests.predict(model, image, h, w);
        PredictRequest explain = GrpcRequests.explain(model, image, h, w);
        PredictRequest png = GrpcRequests.png(model, LoadDriver.png(image, h, w));
        calls.add(new Call("predict (gRPC tensor)", true, (c, t) -> grpcLoad(grpc, predict, c, t)));
        calls.add(new Call("explain (gRPC tensor)", false, (c, t) -> grpcLoad(grpc, explain, c, t)));
        calls.add(new Call("predict-png (gRPC bytes)", true, (c, t) -> grpcLoad(grpc, png, c, t)));
      }
      System.out.printf("CT-Net server benchmark — model %s (%s), %d cores, %d rounds of %.0f s per point%n", model, version,
          Runtime.getRuntime().availableProcessors(), rounds, seconds);
      for (Call call : calls) {
        call.load().run(8, 2); // warm-up
      }
      float[] eight = new float[8 * image.length];
      for (int i = 0; i < 8; i++) {
        System.arraycopy(image, 0, eight, i * image.length, image.length);
      }
      int[] concurrencies = {1, 8, 32};
      Map<String, List<Double>> results = new LinkedHashMap<>();
      for (int round = 0; round < rounds; round++) {
        LoadDriver.Stats batch1 = inProcess(() -> inProcess.predict(image, 1), 1, seconds / 2);
        LoadDriver.Stats batch8 = inProcess(() -> inProcess.predict(eight, 8), 8, seconds / 2);
        LoadDriver.Stats explain1 = inProcess(() -> inProcess.explain(image, 1, new int[] {1}), 1, seconds / 2);
        add(results, "in-process batch 1 img/s", batch1.throughput());
        add(results, "in-process batch 1 p50 ms", batch1.p50());
        add(results, "in-process batch 8 img/s", batch8.throughput());
        add(results, "in-process explain img/s", explain1.throughput());
        for (Call call : calls) {
          for (int c : concurrencies) {
            LoadDriver.Stats s = call.load().run(c, seconds);
            LoadDriver.Stats reference = !call.batchedReference() ? explain1 : c == 1 ? batch1 : batch8;
            String key = call.name() + "|" + c;
            add(results, key + "|req/s", s.throughput());
            add(results, key + "|p50", s.p50());
            add(results, key + "|p99", s.p99());
            add(results, key + "|errors", s.errors());
            add(results, key + "|ratio", s.throughput() / reference.throughput());
            if (c == 1 && call.batchedReference()) {
              add(results, call.name() + "|single p50 ratio", s.p50() / batch1.p50());
            }
          }
        }
        System.out.printf("round %d: in-process batch 1 %.2f ms, batch 8 %.1f img/s, explain %.1f img/s%n", round + 1,
            batch1.p50(), batch8.throughput(), explain1.throughput());
      }
      if (rounds > 0) {
        report(results, calls, concurrencies);
      }
      if (channel != null) {
        channel.shutdownNow();
      }
      if (soak > 0) {
        soak(base, rest + "predict", predictJson, soak,
            serverPid > 0 ? serverPid : ProcessHandle.current().pid(), serverPid > 0);
      }
    }
  }

  /** The table of medians over rounds, and the single-image latency ratios. */
  private static void report(Map<String, List<Double>> results, List<Call> calls, int[] concurrencies) {
    System.out.printf("%nin-process (median of rounds): predict batch 1 %.1f img/s (p50 %.2f ms), batch 8 %.1f img/s, explain batch 1 %.1f img/s%n",
        median(results, "in-process batch 1 img/s"), median(results, "in-process batch 1 p50 ms"),
        median(results, "in-process batch 8 img/s"), median(results, "in-process explain img/s"));
    System.out.printf("| call | concurrency | req/s | p50 ms | p99 ms | errors | server / in-process (rounds) |%n");
    System.out.printf("|---|---:|---:|---:|---:|---:|---:|%n");
    for (Call call : calls) {
      for (int c : concurrencies) {
        String key = call.name() + "|" + c;
        System.out.printf("| %s | %d | %.1f | %.2f | %.2f | %.0f | %.2f (%s) |%n", call.name(), c, median(results, key + "|req/s"),
            median(results, key + "|p50"), median(results, key + "|p99"), sum(results, key + "|errors"),
            median(results, key + "|ratio"), range(results, key + "|ratio"));
      }
    }
    for (Call call : calls) {
      if (call.batchedReference()) {
        System.out.printf("single-image %s p50 = %.2f x in-process batch-1 p50 (rounds %s)%n", call.name(),
            median(results, call.name() + "|single p50 ratio"), range(results, call.name() + "|single p50 ratio"));
      }
    }
  }

  /**
   * RSS before and after {@code total} predict requests at concurrency 8, once warm: the heap first
   * grows to its working size (G1 commits more heap under allocation pressure; run the server with
   * -Xms equal to -Xmx, as {@code ./dev serve} does), so at least three warm-up rounds run, and
   * more until RSS moves by less than 1% between two rounds.
   */
  private static void soak(URI base, String path, byte[] body, int total, long pid, boolean external) throws Exception {
    long previous = rssKb(pid);
    for (int round = 1; round <= 15; round++) {
      requests(base, path, body, 2_000);
      long now = rssKb(pid);
      System.out.printf("warm-up round %d: RSS %.1f MiB%n", round, now / 1024.0);
      if (round >= 3 && Math.abs(now - previous) < previous / 100) {
        break;
      }
      previous = now;
    }
    long before = rssKb(pid);
    int failed = requests(base, path, body, total);
    long after = rssKb(pid);
    System.out.printf("%s RSS over %d requests after warm-up (%d failed): %.1f MiB -> %.1f MiB (%+.2f%%)%n",
        external ? "server process" : "this process (server and load generator)", total, failed, before / 1024.0,
        after / 1024.0, 100.0 * (after - before) / before);
  }

  /** {@code total} requests over 8 connections; returns how many did not get 200. */
  private static int requests(URI base, String path, byte[] body, int total) throws Exception {
    byte[] request = LeanHttpClient.post(base, path, body);
    AtomicInteger issued = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      futures.add(pool.submit(() -> {
        try (LeanHttpClient client = new LeanHttpClient(base)) {
          while (issued.incrementAndGet() <= total) {
            if (client.exchange(request) != 200) {
              failed.incrementAndGet();
            }
          }
        }
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    return failed.get();
  }

  private static byte[] body(float[] image, int h, int w, boolean explain) {
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
    return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** {@code concurrency} threads calling Predict back to back over one channel (HTTP/2 streams) for {@code seconds}. */
  private static LoadDriver.Stats grpcLoad(io.grpc.ManagedChannel channel, PredictRequest request, int concurrency, double seconds)
      throws Exception {
    return LoadDriver.drive(concurrency, seconds, () -> () -> {
      try {
        io.grpc.stub.ClientCalls.blockingUnaryCall(channel, TfServingGrpc.PREDICT, io.grpc.CallOptions.DEFAULT, request);
        return true;
      } catch (io.grpc.StatusRuntimeException e) {
        return false;
      }
    });
  }

  private interface Work {
    void run();
  }

  /** Images per second and per-call latency of repeated in-process calls. */
  private static LoadDriver.Stats inProcess(Work work, int imagesPerCall, double seconds) {
    for (int i = 0; i < 3; i++) {
      work.run();
    }
    List<Double> latencies = new ArrayList<>();
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    while (System.nanoTime() < deadline) {
      long t0 = System.nanoTime();
      work.run();
      latencies.add((System.nanoTime() - t0) / 1e6);
    }
    return LoadDriver.stats(latencies, latencies.size() * imagesPerCall / ((System.nanoTime() - start) / 1e9), 0);
  }

  private static void add(Map<String, List<Double>> results, String key, double value) {
    results.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
  }

  private static double median(Map<String, List<Double>> results, String key) {
    double[] v = results.get(key).stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static double sum(Map<String, List<Double>> results, String key) {
    return results.get(key).stream().mapToDouble(Double::doubleValue).sum();
  }

  private static String range(Map<String, List<Double>> results, String key) {
    DoubleSummaryStatistics s = results.get(key).stream().mapToDouble(Double::doubleValue).summaryStatistics();
    return String.format("%.2f–%.2f", s.getMin(), s.getMax());
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
