package org.ctnet.bench.server;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.ctnet.server.ServerApp;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.config.PacsSettings;
import org.ctnet.server.security.TlsSettings;

/**
 * Plain HTTP, TLS and mutual TLS in one run: three servers on the same model, loaded in turn by 8
 * keep-alive clients posting a PNG to TF Serving's predict (serving_bytes), rounds interleaved so the
 * machine's drift hits all three alike; prints each round's throughput and the ratios to plain HTTP.
 *   java -cp benchmarks.jar org.ctnet.bench.server.TlsBenchmark saved_models slice.png [rounds] [seconds]
 */
public final class TlsBenchmark {
  private TlsBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("--swaps")) {
      swaps(Path.of(args[1]), Files.readAllBytes(Path.of(args[2])), Integer.parseInt(args[3]));
      return;
    }
    if (args[0].equals("--rotations")) {
      rotations(Path.of(args[1]), Integer.parseInt(args[2]));
      return;
    }
    Path models = Path.of(args[0]);
    byte[] png = Files.readAllBytes(Path.of(args[1]));
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 10;
    Path dir = LoopbackCertificates.create("ctnet-tls-bench", List.of("server", "client"));
    ServerSettings base = ServerSettings.defaults(models).withPort(0).withHost("127.0.0.1").withPolling(0);
    Map<String, TlsSettings> modes = new LinkedHashMap<>();
    modes.put("plain", TlsSettings.OFF);
    modes.put("tls", new TlsSettings(dir.resolve("server.pem"), dir.resolve("server.key"), null, List.of()));
    modes.put("mtls", new TlsSettings(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"),
        List.of("client")));
    Map<String, SSLContext> clients = Map.of("tls", client(dir, false), "mtls", client(dir, true));
    String body = "{\"signature_name\":\"serving_bytes\",\"instances\":[{\"b64\":\""
        + Base64.getEncoder().encodeToString(png) + "\"}]}";
    Map<String, ServerApp> apps = new LinkedHashMap<>();
    Map<String, URI> uris = new LinkedHashMap<>();
    Map<String, List<Double>> throughput = new LinkedHashMap<>();
    try {
      for (var mode : modes.entrySet()) {
        ServerApp app = new ServerApp(base.withGrpcPort(-1), PacsSettings.defaults(), mode.getValue());
        apps.put(mode.getKey(), app);
        uris.put(mode.getKey(), URI.create("http://127.0.0.1:" + app.start().port()));
        throughput.put(mode.getKey(), new ArrayList<>());
      }
      for (int round = -1; round < rounds; round++) { // round -1 warms every server up
        for (String mode : modes.keySet()) {
          URI uri = uris.get(mode);
          byte[] request = LeanHttpClient.post(uri, "/v1/models/ctnet:predict", body.getBytes(StandardCharsets.UTF_8));
          SSLContext tls = clients.get(mode);
          LoadDriver.Stats stats = LoadDriver.drive(8, round < 0 ? 3 : seconds, () -> {
            LeanHttpClient c = new LeanHttpClient(uri, tls);
            return new LoadDriver.Client() {
              @Override
              public boolean call() throws Exception {
                return c.exchange(request) == 200;
              }

              @Override
              public void close() throws Exception {
                c.close();
              }
            };
          });
          if (round >= 0) {
            throughput.get(mode).add(stats.throughput());
            System.out.printf("round %d %-5s %.1f requests/s, p50 %.1f ms, p99 %.1f ms, errors %d%n", round, mode,
                stats.throughput(), stats.p50(), stats.p99(), stats.errors());
          }
        }
      }
    } finally {
      apps.values().forEach(ServerApp::close);
    }
    for (String mode : List.of("tls", "mtls")) {
      List<Double> ratios = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        ratios.add(throughput.get(mode).get(r) / throughput.get("plain").get(r));
      }
      ratios.sort(Double::compare);
      System.out.printf("%s / plain HTTP throughput at concurrency 8: median %.3f (rounds %.3f..%.3f)%n", mode,
          ratios.get(ratios.size() / 2), ratios.get(0), ratios.get(ratios.size() - 1));
    }
  }

  /**
   * {@code n} certificate rotations under load: 4 clients open a new TLS connection for every request
   * while the key and certificate files are replaced (key first, then certificate, as a copy would);
   * prints the requests answered and failed.
   */
  private static void rotations(Path models, int n) throws Exception {
    Path dir = LoopbackCertificates.create("ctnet-tls-rotation", List.of("a", "b"));
    Files.copy(dir.resolve("a.pem"), dir.resolve("server.pem"));
    Files.copy(dir.resolve("a.key"), dir.resolve("server.key"));
    ServerSettings base = ServerSettings.defaults(models).withPort(0).withHost("127.0.0.1").withPolling(0).withGrpcPort(-1);
    try (ServerApp app = new ServerApp(base, PacsSettings.defaults(),
        new TlsSettings(dir.resolve("server.pem"), dir.resolve("server.key"), null, List.of()))) {
      int port = app.start().port();
      byte[] get = ("GET /v1/models/ctnet HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      Load load = new Load(URI.create("http://127.0.0.1:" + port), client(dir, false), get, false);
      for (int i = 0; i < n; i++) {
        String next = i % 2 == 0 ? "b" : "a";
        Thread.sleep(700);
        Files.copy(dir.resolve(next + ".key"), dir.resolve("server.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Thread.sleep(300); // a rotation half done, as a file-by-file copy leaves it
        Files.copy(dir.resolve(next + ".pem"), dir.resolve("server.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      Thread.sleep(1500);
      System.out.printf("%d certificate rotations under load: requests on new TLS connections %s%n", n,
          load.stopAndReport());
    }
  }

  /**
   * {@code n} model swaps under TLS load: 4 clients predict a PNG over TLS (keep-alive) while a new
   * version of {@code models/ctnet/3} is published (copied under a staging name, then renamed in, as
   * {@code ctnet export} does) and, once it serves, the previous version is deleted; prints the
   * requests answered and failed and the versions seen serving.
   */
  private static void swaps(Path models, byte[] png, int n) throws Exception {
    Path dir = LoopbackCertificates.create("ctnet-tls-swaps", List.of("server"));
    Path base = Files.createTempDirectory("ctnet-swaps");
    Path source = models.resolve("ctnet").resolve("3");
    copyTree(source, base.resolve("ctnet").resolve("1"));
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0.2)
        .withGrpcPort(-1);
    String body = "{\"signature_name\":\"serving_bytes\",\"instances\":[{\"b64\":\""
        + Base64.getEncoder().encodeToString(png) + "\"}]}";
    try (ServerApp app = new ServerApp(settings, PacsSettings.defaults(),
        new TlsSettings(dir.resolve("server.pem"), dir.resolve("server.key"), null, List.of()))) {
      URI uri = URI.create("http://127.0.0.1:" + app.start().port());
      byte[] request = LeanHttpClient.post(uri, "/v1/models/ctnet:predict", body.getBytes(StandardCharsets.UTF_8));
      Load load = new Load(uri, client(dir, false), request, true);
      java.util.Set<Long> served = new java.util.TreeSet<>();
      for (int v = 2; v <= n + 1; v++) {
        Thread.sleep(500);
        Path staging = base.resolve("ctnet").resolve(".staging-" + v);
        copyTree(source, staging);
        Files.move(staging, base.resolve("ctnet").resolve(Long.toString(v)), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!serving(app, v) && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        if (serving(app, v)) {
          served.add((long) v);
        }
        deleteTree(base.resolve("ctnet").resolve(Long.toString(v - 1)));
      }
      Thread.sleep(1500);
      System.out.printf("%d model swaps under TLS load: predictions %s; versions seen serving: %s%n", n,
          load.stopAndReport(), served);
    }
  }

  /**
   * Four clients sending one request over and over until stopped, each request on a new TLS
   * connection or all on one kept alive; counts the answers and the failures.
   */
  private static final class Load {
    private final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.ConcurrentLinkedQueue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final List<Thread> clients = new ArrayList<>();

    Load(URI uri, SSLContext tls, byte[] request, boolean keepAlive) {
      for (int t = 0; t < 4; t++) {
        clients.add(Thread.ofPlatform().start(() -> {
          while (!stop.get()) {
            try (LeanHttpClient c = new LeanHttpClient(uri, tls)) {
              do {
                int status = c.exchange(request);
                if (status == 200) {
                  ok.incrementAndGet();
                } else {
                  failures.add("status " + status);
                }
              } while (keepAlive && !stop.get());
            } catch (Exception e) {
              failures.add(e.toString());
            }
          }
        }));
      }
    }

    String stopAndReport() throws InterruptedException {
      stop.set(true);
      for (Thread t : clients) {
        t.join();
      }
      return String.format("%d answered, %d failed%s", ok.get(), failures.size(),
          failures.isEmpty() ? "" : " (first: " + failures.peek() + ")");
    }
  }

  private static boolean serving(ServerApp app, long version) {
    var status = app.repository().status("ctnet").get(version);
    return status != null && status.state().equals("AVAILABLE");
  }

  private static void copyTree(Path from, Path to) throws java.io.IOException {
    try (var files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (var files = Files.walk(root)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static SSLContext client(Path dir, boolean withCertificate) throws Exception {
    return org.ctnet.server.security.TlsMaterial.clientContext(dir.resolve("ca.pem"),
        withCertificate ? dir.resolve("client.pem") : null, withCertificate ? dir.resolve("client.key") : null);
  }
}
