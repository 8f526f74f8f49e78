package org.ctnet.server;

import org.ctnet.graph.runtime.LesionFeed;
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

  private static Path lesionModel;

  /**
   * Exports a tiny model with a lesion head (briefly trained on blob masks, so its maps are not
   * constant) as {@code base/<name>/1} and returns the base.
   */
  public static synchronized Path exportTinyLesion(Path base, String name) throws IOException {
    if (lesionModel == null) {
      Path cache = Files.createTempDirectory("ctnet-tiny-lesion");
      var spec = TestModels.tinySpec().withLesionHead(
          new org.ctnet.graph.spec.LesionHeadSpec(1, java.util.List.of(16, 8, 8), true));
      try (ModelSession m = TestModels.create(spec, org.ctnet.graph.train.TrainingSpec.defaults(
          org.ctnet.graph.train.OptimizerKind.ADAM))) {
        for (int s = 0; s < 40; s++) {
          var batch = org.ctnet.graph.testing.SyntheticImages.blobs(16, 32, 500 + s);
          float[] masks = new float[16 * 32 * 32];
          float[] lungs = new float[16 * 32 * 32];
          for (int i = 0; i < 16; i++) {
            for (int k = 0; k < 32 * 32; k++) {
              masks[i * 1024 + k] = batch.labels()[i] == 1 && batch.insideBlob(i, k % 32, k / 32) ? 1f : 0f;
              lungs[i * 1024 + k] = (k % 32) >= 4 && (k % 32) < 28 && k / 32 >= 4 && k / 32 < 28 ? 1f : 0f;
            }
          }
          float[] ones = new float[16];
          java.util.Arrays.fill(ones, 1f);
          m.trainStep(batch.pixels(), 16, batch.labels(), 0.003f, null,
              new LesionFeed(ones.clone(), masks, ones.clone(), lungs, ones.clone()));
        }
        m.export(cache, 1, m.assets());
      }
      lesionModel = cache.resolve("1");
    }
    Path target = base.resolve(name).resolve("1");
    Files.createDirectories(target.getParent());
    try (var files = Files.walk(lesionModel)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.copy(p, target.resolve(lesionModel.relativize(p).toString()));
      }
    }
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
