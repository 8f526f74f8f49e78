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
final class TestServers {
  static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private TestServers() {}

  /** Exports a tiny trained model as {@code base/<name>/<version>} and returns the base. */
  static Path exportTiny(Path base, String name, long version, long seed) throws IOException {
    Files.createDirectories(base);
    try (ModelSession m = TestModels.trainedOnBlobs(15, seed)) {
      m.export(base.resolve(name), version, m.assets());
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
