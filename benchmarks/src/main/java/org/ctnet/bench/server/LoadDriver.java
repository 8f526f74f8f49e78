package org.ctnet.bench.server;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;

/** Closed-loop load on a server: clients calling back to back, and what they measured. */
final class LoadDriver {
  private LoadDriver() {}

  /** Calls (or images) per second, latency percentiles in ms, failed calls. */
  record Stats(double throughput, double p50, double p99, int errors) {}

  /** One client's connection: a call that says whether it succeeded. */
  interface Client extends AutoCloseable {
    boolean call() throws Exception;

    @Override
    default void close() throws Exception {}
  }

  /** {@code concurrency} clients, each calling back to back for {@code seconds}: throughput, latency, failures. */
  static Stats drive(int concurrency, double seconds, Callable<Client> clients) throws Exception {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    List<Future<List<Double>>> futures = new ArrayList<>();
    AtomicInteger errors = new AtomicInteger();
    long start = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      futures.add(pool.submit(() -> {
        List<Double> latencies = new ArrayList<>();
        try (Client client = clients.call()) {
          while (System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            boolean ok = client.call();
            latencies.add((System.nanoTime() - t0) / 1e6);
            if (!ok) {
              errors.incrementAndGet();
            }
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
    return stats(all, all.size() / elapsed, errors.get());
  }

  /** {@code concurrency} keep-alive connections, each POSTing {@code body} to {@code path} back to back. */
  static Stats http(URI base, String path, byte[] body, int concurrency, double seconds) throws Exception {
    byte[] request = LeanHttpClient.post(base, path, body);
    return drive(concurrency, seconds, () -> {
      LeanHttpClient client = new LeanHttpClient(base);
      return new Client() {
        @Override
        public boolean call() throws Exception {
          return client.exchange(request) == 200;
        }

        @Override
        public void close() throws Exception {
          client.close();
        }
      };
    });
  }

  static Stats stats(List<Double> latencies, double throughput, int errors) {
    double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return new Stats(throughput, sorted[sorted.length / 2], sorted[(int) (sorted.length * 0.99)], errors);
  }

  /** The image ([0, 1] pixels) as an 8-bit grey PNG. */
  static byte[] png(float[] image, int h, int w) throws Exception {
    BufferedImage grey = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        grey.getRaster().setSample(x, y, 0, Math.round(image[y * w + x] * 255));
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(grey, "png", png);
    return png.toByteArray();
  }

  /** The same image as an 8-bit PNG in a TF Serving {"b64": ...} instance for serving_bytes. */
  static byte[] pngPredictBody(float[] image, int h, int w) throws Exception {
    return ("{\"signature_name\":\"serving_bytes\",\"instances\":[{\"b64\":\""
        + Base64.getEncoder().encodeToString(png(image, h, w)) + "\"}]}").getBytes(StandardCharsets.UTF_8);
  }
}
