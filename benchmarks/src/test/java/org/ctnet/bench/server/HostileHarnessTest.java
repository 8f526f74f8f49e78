package org.ctnet.bench.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.helidon.webserver.WebServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.server.ServerApp;
import org.ctnet.server.config.ServerSettings;
import org.junit.jupiter.api.Test;

/** The harness the soak script runs (10,000 mutations), here its battery and 300 mutations against a tiny model. */
class HostileHarnessTest {
  @Test
  void theHostileBatteryAndRandomMutationsGetNo5xxAndNoHang() throws Exception {
    Path base = Files.createTempDirectory("ctnet-hostile-harness");
    try (ModelSession m = TestModels.trainedOnBlobs(15, 4)) {
      m.export(base.resolve("tiny"), 1, m.assets());
    }
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withLimits(300_000, 10_000, 16, 256).withUploads(2, 1_500);
    try (ServerApp app = new ServerApp(settings)) {
      WebServer server = app.start();
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/");
      HostileHarness.Report report = new HostileHarness(uri, "tiny", 32, 11).run(300);
      assertEquals(0, report.serverErrors(), report.toString());
      assertEquals(0, report.hangs(), report.toString());
      assertTrue(report.statuses().getOrDefault(200, 0) > 0, "some mutations stay valid: " + report);
      HttpRequest r = HttpRequest.newBuilder(uri.resolve("/v1/models/tiny")).GET().build();
      assertEquals(200, HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString()).statusCode(),
          "the server still answers after the battery");
    }
  }
}
