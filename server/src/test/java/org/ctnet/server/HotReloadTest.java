package org.ctnet.server;

import org.ctnet.server.config.ServerSettings;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** New versions appear under load without failed requests; broken ones are reported, not served. */
class HotReloadTest {
  @TempDir Path dir;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ONE_IMAGE = "{\"instances\":[" + "[".repeat(1) + zeros() + "]]}";

  private static String zeros() {
    StringBuilder row = new StringBuilder("[");
    for (int x = 0; x < 32; x++) {
      row.append(x > 0 ? "," : "").append("[0.5]");
    }
    row.append("]");
    StringBuilder img = new StringBuilder();
    for (int y = 0; y < 32; y++) {
      img.append(y > 0 ? "," : "").append(row);
    }
    return img.toString();
  }

  private static String state(URI uri, String version) throws Exception {
    HttpResponse<String> r = TestServers.get(uri, "/v1/models/tiny/versions/" + version);
    if (r.statusCode() != 200) {
      return "missing";
    }
    JsonNode s = JSON.readTree(r.body()).get("model_version_status").get(0);
    return s.get("state").asText() + "/" + s.get("status").get("error_code").asText();
  }

  private static void waitFor(URI uri, String version, String expected) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!state(uri, version).equals(expected)) {
      assertTrue(System.nanoTime() < deadline, "version " + version + " never reached " + expected + ": " + state(uri, version));
      Thread.sleep(50);
    }
  }

  @Test
  void newVersionSwapsInUnderLoadAndBrokenVersionIsReported() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 1);
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withPolling(0.2);
    try (ServerApp app = new ServerApp(settings)) {
      WebServer server = app.start();
      URI uri = URI.create("http://localhost:" + server.port());
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      StringBuilder failures = new StringBuilder();
      Thread[] clients = new Thread[4];
      for (int c = 0; c < clients.length; c++) {
        clients[c] = Thread.ofPlatform().start(() -> {
          while (running.get()) {
            try {
              HttpResponse<String> r = TestServers.post(uri, "/v1/models/tiny:predict", ONE_IMAGE);
              if (r.statusCode() == 200) {
                ok.incrementAndGet();
              } else {
                failed.incrementAndGet();
                synchronized (failures) {
                  failures.append(r.statusCode()).append(' ').append(r.body()).append('\n');
                }
              }
            } catch (Exception e) {
              failed.incrementAndGet();
            }
          }
        });
      }
      Thread.sleep(500);
      TestServers.exportTiny(base, "tiny", 2, 2);
      waitFor(uri, "2", "AVAILABLE/OK");
      waitFor(uri, "1", "END/OK");
      Thread.sleep(500);
      // A broken version 3: reported, and version 2 keeps serving.
      Path broken = base.resolve("tiny/3");
      Files.createDirectories(broken);
      Files.writeString(broken.resolve("saved_model.pb"), "garbage");
      waitFor(uri, "3", "END/UNKNOWN");
      Thread.sleep(500);
      running.set(false);
      for (Thread t : clients) {
        t.join();
      }
      assertEquals(0, failed.get(), failures.toString());
      assertTrue(ok.get() > 20, "requests served: " + ok.get());
      assertEquals("AVAILABLE/OK", state(uri, "2"));
      JsonNode status = JSON.readTree(TestServers.get(uri, "/v1/models/tiny/versions/3").body());
      assertTrue(status.toString().contains("failed to load"), status.toString());
      assertEquals(200, TestServers.post(uri, "/v1/models/tiny:predict", ONE_IMAGE).statusCode());
      assertTrue(TestServers.get(uri, "/metrics").body().contains("ctnet_model_load_failures_total{model=\"tiny\"} 1.0"));
    }
  }

  @Test
  void bearerTokenGuardsEverythingButHealthAndComesFromAFileToo() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models2"), "tiny", 1, 1);
    try (ServerApp app = new ServerApp(ServerSettings.defaults(base).withPort(0).withPolling(0).withBearerToken("s3cret"))) {
      URI uri = URI.create("http://localhost:" + app.start().port());
      HttpResponse<String> denied = TestServers.post(uri, "/v1/models/tiny:predict", ONE_IMAGE);
      assertEquals(401, denied.statusCode());
      assertTrue(denied.body().contains("bearer token"));
      HttpResponse<String> allowed = TestServers.CLIENT.send(java.net.http.HttpRequest.newBuilder(uri.resolve("/v1/models/tiny:predict"))
          .header("Authorization", "Bearer s3cret").POST(java.net.http.HttpRequest.BodyPublishers.ofString(ONE_IMAGE)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, allowed.statusCode(), allowed.body());
      for (String guarded : List.of("/v1/models/tiny", "/v1/models/tiny/metadata", "/v2/models/tiny", "/api/models", "/metrics")) {
        HttpResponse<String> r = TestServers.get(uri, guarded);
        assertEquals(401, r.statusCode(), guarded);
        assertEquals("Bearer", r.headers().firstValue("WWW-Authenticate").orElse(""), guarded);
        assertFalse(r.body().contains(base.toString()), guarded + " must not reveal filesystem paths");
      }
      for (String open : List.of("/v2/health/live", "/v2/health/ready", "/health/live", "/health/ready", "/")) {
        assertEquals(200, TestServers.get(uri, open).statusCode(), open);
      }
    }
    Path tokenFile = dir.resolve("token.txt");
    Files.writeString(tokenFile, "from-a-file\n");
    Main main = new Main(io.helidon.config.Config.empty(), java.util.Map.of("CTNET_BEARER_TOKEN_FILE", tokenFile.toString()));
    assertEquals("from-a-file", main.settings().bearerToken());
    try (ServerApp app = new ServerApp(ServerSettings.defaults(base).withPort(0).withPolling(0).withBearerToken("s3cret")
        .withMetricsOpen(true))) {
      URI uri = URI.create("http://localhost:" + app.start().port());
      assertEquals(200, TestServers.get(uri, "/metrics").statusCode(), "--metrics-open");
    }
  }

  @Test
  void versionLabelsAndPolicies() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models3"), "tiny", 1, 1);
    TestServers.exportTiny(base, "tiny", 2, 2);
    Files.writeString(base.resolve("tiny/version_labels.json"), "{\"stable\": 1, \"canary\": 2}");
    try (ServerApp app = new ServerApp(ServerSettings.defaults(base).withPort(0).withPolling(0).withVersionPolicy("all"))) {
      URI uri = URI.create("http://localhost:" + app.start().port());
      assertEquals("AVAILABLE/OK", state(uri, "1"));
      assertEquals("AVAILABLE/OK", state(uri, "2"));
      assertEquals(200, TestServers.post(uri, "/v1/models/tiny/labels/stable:predict", ONE_IMAGE).statusCode());
      assertEquals(200, TestServers.post(uri, "/v1/models/tiny/labels/canary:predict", ONE_IMAGE).statusCode());
      assertEquals(404, TestServers.post(uri, "/v1/models/tiny/labels/beta:predict", ONE_IMAGE).statusCode());
    }
    try (ServerApp app = new ServerApp(ServerSettings.defaults(base).withPort(0).withPolling(0).withVersionPolicy("specific:1"))) {
      URI uri = URI.create("http://localhost:" + app.start().port());
      assertEquals("AVAILABLE/OK", state(uri, "1"));
      assertEquals("missing", state(uri, "2"));
    }
  }
}
