package org.ctnet.bench.server;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.ctnet.server.ServerApp;
import org.ctnet.server.config.ServerOptions;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.security.ClientRates;

/**
 * One greedy client against per-client rates: a polite client predicts at a steady pace, first alone,
 * then beside a greedy client sending from 8 connections at {@code times} its rate (0: as fast as they
 * can); prints the polite client's p50/p99 both times and the greedy client's answers. Same process,
 * same run.
 *   java -cp benchmarks.jar org.ctnet.bench.server.FairShareBenchmark saved_models slice.png [rate] [seconds] [times]
 */
public final class FairShareBenchmark {
  private FairShareBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path models = Path.of(args[0]);
    byte[] png = Files.readAllBytes(Path.of(args[1]));
    double rate = args.length > 2 ? Double.parseDouble(args[2]) : 20;
    double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 20;
    double times = args.length > 4 ? Double.parseDouble(args[4]) : 10;
    String body = "{\"signature_name\":\"serving_bytes\",\"instances\":[{\"b64\":\""
        + Base64.getEncoder().encodeToString(png) + "\"}]}";
    ServerSettings settings = ServerSettings.defaults(models).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withGrpcPort(-1);
    try (ServerApp app = new ServerApp(settings, ServerOptions.defaults().withRates(new ClientRates(rate, rate)))) {
      URI uri = URI.create("http://127.0.0.1:" + app.start().port());
      byte[] polite = request(uri, body, "polite");
      byte[] greedy = request(uri, body, "greedy");
      paced(uri, polite, rate / 2, 3); // warm-up
      double[] alone = paced(uri, polite, rate / 2, seconds);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger limited = new AtomicInteger();
      ExecutorService flood = Executors.newFixedThreadPool(8);
      for (int t = 0; t < 8; t++) {
        flood.submit(() -> {
          long period = times > 0 ? (long) (1e9 / (times * rate / 8)) : 0;
          try (LeanHttpClient c = new LeanHttpClient(uri)) {
            for (long next = System.nanoTime(); !stop.get(); next += period) {
              long wait = next - System.nanoTime();
              if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
              }
              int code = c.exchange(greedy);
              (code == 200 ? ok : limited).incrementAndGet();
            }
          }
          return null;
        });
      }
      double[] beside = paced(uri, polite, rate / 2, seconds);
      stop.set(true);
      flood.shutdown();
      flood.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
      System.out.printf("per-client rate %.0f/s; polite client at %.0f/s%n", rate, rate / 2);
      System.out.printf("polite alone:          p50 %.1f ms, p99 %.1f ms (%d calls)%n", alone[0], alone[1], (int) alone[2]);
      System.out.printf("polite beside greedy:  p50 %.1f ms, p99 %.1f ms (%d calls)%n", beside[0], beside[1], (int) beside[2]);
      System.out.printf("greedy: %d answered, %d refused with 429 (%.1fx its rate attempted)%n", ok.get(), limited.get(),
          (ok.get() + limited.get()) / seconds / rate);
      System.out.printf("polite p99 beside greedy / alone: %.2f%n", beside[1] / alone[1]);
    }
  }

  private static byte[] request(URI uri, String body, String token) {
    byte[] plain = LeanHttpClient.post(uri, "/v1/models/ctnet:predict", body.getBytes(StandardCharsets.UTF_8));
    String text = new String(plain, StandardCharsets.ISO_8859_1);
    // The client is known by its bearer token: insert the header after the request line.
    int line = text.indexOf("\r\n") + 2;
    return (text.substring(0, line) + "Authorization: Bearer " + token + "\r\n" + text.substring(line))
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Calls at {@code perSecond} for {@code seconds}: p50, p99 (ms) and the number of calls; fails on a non-200. */
  private static double[] paced(URI uri, byte[] request, double perSecond, double seconds) throws Exception {
    List<Double> latencies = new ArrayList<>();
    long period = (long) (1e9 / perSecond);
    long end = System.nanoTime() + (long) (seconds * 1e9);
    try (LeanHttpClient c = new LeanHttpClient(uri)) {
      for (long next = System.nanoTime(); next < end; next += period) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        long start = System.nanoTime();
        int code = c.exchange(request);
        if (code != 200) {
          throw new IllegalStateException("the polite client got " + code);
        }
        latencies.add((System.nanoTime() - start) / 1e6);
      }
    }
    latencies.sort(Double::compare);
    return new double[] {latencies.get(latencies.size() / 2), latencies.get((int) Math.floor(0.99 * (latencies.size() - 1))),
        latencies.size()};
  }
}
