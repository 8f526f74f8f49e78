package org.ctnet.bench.server;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.ServerApp;
import org.ctnet.server.config.ServerSettings;

/**
 * How to set {@code inference-threads} and {@code max-batch-size} for a machine: the server in this
 * JVM under each combination, PNG predicts over loopback HTTP at concurrency 1 (latency) and
 * {@code --concurrency} (throughput), in rounds that interleave the settings so the machine's drift
 * falls on all of them alike. Run it with as many cores as the server will get (e.g. {@code taskset -c
 * 0-3}); the JVM and TensorFlow see only those.
 *
 * <p>{@code java -cp benchmarks.jar org.ctnet.bench.server.ThreadSettingsBenchmark [--threads 1,2,4]
 * [--batches 1,4,8] [--concurrency 16] [--seconds 3] [--rounds 2] [--models saved_models] [--model ctnet]}
 */
public final class ThreadSettingsBenchmark {
  private record Setting(int threads, int batch) {}

  public static void main(String[] args) throws Exception {
    Path models = Path.of("saved_models");
    String model = "ctnet";
    int[] threads = {1, 2, 4};
    int[] batches = {1, 4, 8};
    int concurrency = 16;
    double seconds = 3;
    int rounds = 2;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--models" -> models = Path.of(args[++i]);
        case "--model" -> model = args[++i];
        case "--threads" -> threads = ints(args[++i]);
        case "--batches" -> batches = ints(args[++i]);
        case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    List<Setting> settings = new ArrayList<>();
    for (int t : threads) {
      for (int b : batches) {
        settings.add(new Setting(t, b));
      }
    }
    Path version = models.resolve(model).resolve(Long.toString(ModelExport.latestVersion(models.resolve(model)).orElseThrow()));
    NetworkSpec spec = ModelAssets.read(version).spec();
    int h = spec.inputHeight();
    int w = spec.inputWidth();
    float[] image = new float[h * w];
    Random random = new Random(1);
    for (int i = 0; i < image.length; i++) {
      image[i] = random.nextFloat();
    }
    byte[] body = LoadDriver.pngPredictBody(image, h, w);
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf("CT-Net thread settings — model %s, %d cores, concurrency 1 and %d, %d rounds of %.0f s per point%n",
        model, cores, concurrency, rounds, seconds);
    double[][] latency = new double[settings.size()][rounds];
    double[][] throughput = new double[settings.size()][rounds];
    int errors = 0;
    for (int round = 0; round < rounds; round++) {
      for (int s = 0; s < settings.size(); s++) {
        Setting setting = settings.get(s);
        ServerSettings config = ServerSettings.defaults(models).withPort(0).withGrpcPort(-1).withPolling(0)
            .withLimits(64L << 20, 50_000_000L, 64, 4096).withBatching(setting.batch(), 2, setting.threads());
        try (ServerApp app = new ServerApp(config)) {
          URI base = URI.create("http://127.0.0.1:" + app.start().port());
          String path = "/v1/models/" + model + ":predict";
          LoadDriver.http(base, path, body, concurrency, 1); // warm the connections and the JIT
          LoadDriver.Stats one = LoadDriver.http(base, path, body, 1, seconds);
          LoadDriver.Stats many = LoadDriver.http(base, path, body, concurrency, seconds);
          latency[s][round] = one.p50();
          throughput[s][round] = many.throughput();
          errors += one.errors() + many.errors();
        }
      }
    }
    double best = 0;
    for (double[] t : throughput) {
      best = Math.max(best, median(t));
    }
    System.out.println("| inference-threads | max-batch-size | p50 ms at concurrency 1 | req/s at concurrency " + concurrency
        + " | of the best |");
    System.out.println("|---:|---:|---:|---:|---:|");
    for (int s = 0; s < settings.size(); s++) {
      System.out.printf("| %d | %d | %.1f | %.1f | %.2f |%n", settings.get(s).threads(), settings.get(s).batch(),
          median(latency[s]), median(throughput[s]), median(throughput[s]) / best);
    }
    System.out.println("errors: " + errors + " (medians over rounds; each round runs every setting once)");
  }

  private static int[] ints(String list) {
    return java.util.Arrays.stream(list.split(",")).mapToInt(v -> Integer.parseInt(v.strip())).toArray();
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
