package org.ctnet.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.TestModels;

/** Tiny exported models and an HTTP client for the server tests. */
public final class TestServers {
  static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private TestServers() {}

  /** One trained-and-exported tiny model per seed for the whole test JVM: training one takes ~10 s. */
  private static final java.util.Map<Long, Path> EXPORTED = new java.util.concurrent.ConcurrentHashMap<>();

  /** Exports a tiny trained model as {@code base/<name>/<version>} and returns the base. */
  public static Path exportTiny(Path base, String name, long version, long seed) throws IOException {
    Path exported = EXPORTED.get(seed);
    if (exported == null) {
      Path cache = Files.createTempDirectory("ctnet-tiny-" + seed);
      try (ModelSession m = TestModels.trainedOnBlobs(15, seed)) {
        m.export(cache, 1, m.assets());
      }
      exported = cache.resolve("1");
      EXPORTED.put(seed, exported);
    }
    // Copied beside, then renamed in: a polling server never sees a half-copied version.
    Path staging = base.resolve(name).resolve(".staging-" + version);
    Files.createDirectories(staging.getParent());
    try (var files = Files.walk(exported)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.copy(p, staging.resolve(exported.relativize(p).toString()));
      }
    }
    Files.move(staging, base.resolve(name).resolve(Long.toString(version)), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return base;
  }

  static HttpResponse<String> get(URI base, String path) throws IOException, InterruptedException {
    return CLIENT.send(HttpRequest.newBuilder(base.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(URI base, String path, String json) throws IOException, InterruptedException {
    return CLIENT.send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> postBytes(URI base, String path, byte[] body, String contentType)
      throws IOException, InterruptedException {
    return CLIENT.send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
