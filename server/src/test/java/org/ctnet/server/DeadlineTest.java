package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.server.config.ServerSettings;
import org.junit.jupiter.api.Test;

/**
 * A caller's deadline (X-Request-Timeout over HTTP, the call's deadline over gRPC) is honoured: when it
 * passes while the request waits in a busy queue, the request is answered 504 / DEADLINE_EXCEEDED at
 * once and its queued work is cancelled, not run later for nobody.
 */
class DeadlineTest {
  @Test
  void aDeadlineShorterThanTheQueueIsAnsweredAtOnce() throws Exception {
    var base = TestServers.exportTiny(Files.createTempDirectory("ctnet-deadline"), "tiny", 1, 4);
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withBatching(1, 0, 1).withGrpcPort(0);
    try (ServerApp app = new ServerApp(settings)) {
      URI uri = URI.create("http://127.0.0.1:" + app.start().port() + "/");
      HttpClient http = HttpClient.newHttpClient();
      byte[] png = SyntheticImages.png(SyntheticImages.blobs(1, 32, 3).pixels(), 32, 32);
      // Keep the single inference worker busy: SmoothGrad explanations, one image per session run;
      // enough of them that a fast, idle machine is still working through them when the late request
      // has come and gone (12 were drained in time on a quiet run).
      List<CompletableFuture<HttpResponse<String>>> busy = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        busy.add(http.sendAsync(HttpRequest.newBuilder(uri.resolve("/api/models/tiny/explain?smooth=true"))
            .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      Thread.sleep(100);
      long start = System.nanoTime();
      HttpResponse<String> late = http.send(HttpRequest.newBuilder(uri.resolve("/api/models/tiny/classify"))
          .header("Content-Type", "image/png").header("X-Request-Timeout", "50")
          .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
      long millis = (System.nanoTime() - start) / 1_000_000;
      boolean queueStillBusy = busy.stream().anyMatch(f -> !f.isDone());
      assertTrue(queueStillBusy, "the explanations still occupy the worker: the test measures a queued request");
      assertEquals(504, late.statusCode(), late.body());
      assertTrue(late.body().contains("deadline passed"), late.body());
      assertTrue(millis < 2000, "answered at its deadline, not after the queue: " + millis + " ms");
      HttpResponse<String> bad = http.send(HttpRequest.newBuilder(uri.resolve("/api/models/tiny/classify"))
          .header("Content-Type", "image/png").header("X-Request-Timeout", "soon")
          .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(400, bad.statusCode(), bad.body());
      for (var f : busy) {
        assertEquals(200, f.get().statusCode());
      }
    }
  }
}
