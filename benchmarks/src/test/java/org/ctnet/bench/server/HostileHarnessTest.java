package org.ctnet.bench.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.helidon.webserver.WebServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.server.ServerApp;
import org.ctnet.server.config.PacsSettings;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.security.TlsMaterial;
import org.ctnet.server.security.TlsSettings;
import org.junit.jupiter.api.Test;

/** The harness the soak script runs (10,000 mutations), here its battery and 300 mutations against a tiny model. */
class HostileHarnessTest {
  @Test
  void theHostileBatteryAndRandomMutationsGetNo5xxAndNoHang() throws Exception {
    try (ServerApp app = new ServerApp(settings(tinyModel()))) {
      WebServer server = app.start();
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/");
      HostileHarness.Report report = new HostileHarness(uri, "tiny", 32, 11).run(300);
      assertEquals(0, report.serverErrors(), report.toString());
      assertEquals(0, report.hangs(), report.toString());
      assertEquals(0, report.connectionFailures() + report.cutOffClosed(), "plain HTTP answers every request: " + report);
      assertTrue(report.statuses().getOrDefault(200, 0) > 0, "some mutations stay valid: " + report);
      HttpRequest r = HttpRequest.newBuilder(uri.resolve("/v1/models/tiny")).GET().build();
      assertEquals(200, HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString()).statusCode(),
          "the server still answers after the battery");
    }
  }

  /** The same battery over TLS: every request its own handshake, garbage after it, a TLS half-close. */
  @Test
  void overTlsTheBatteryGetsNo5xxNoHangAndEveryHandshakeCompletes() throws Exception {
    Path certs = LoopbackCertificates.create("ctnet-hostile-tls", List.of("server"));
    TlsSettings tls = new TlsSettings(certs.resolve("server.pem"), certs.resolve("server.key"), null, List.of());
    try (ServerApp app = new ServerApp(settings(tinyModel()), PacsSettings.defaults(), tls)) {
      WebServer server = app.start();
      URI uri = URI.create("https://127.0.0.1:" + server.port() + "/");
      SSLContext client = TlsMaterial.clientContext(certs.resolve("ca.pem"), null, null);
      HostileHarness.Report report = new HostileHarness(uri, "tiny", 32, 12, client).run(60);
      assertEquals(0, report.serverErrors(), report.toString());
      assertEquals(0, report.hangs(), report.toString());
      assertEquals(0, report.connectionFailures(), "every whole request over TLS gets an answer: " + report);
      assertTrue(report.statuses().getOrDefault(200, 0) > 0, "valid requests answered over TLS: " + report);
      assertTrue(report.statuses().getOrDefault(400, 0) > 0, "garbage refused over TLS: " + report);
    }
  }

  @Test
  void aRequestIsWholeWhenItsHeadEndsAndItsBodyIsAsLongAsDeclared() {
    assertTrue(HostileHarness.whole(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    assertTrue(HostileHarness.whole(bytes("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab")));
    assertFalse(HostileHarness.whole(bytes("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab")));
    assertFalse(HostileHarness.whole(bytes("POST / HTTP/1.1\r\nHost: x\r\n")));
    assertFalse(HostileHarness.whole(bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n")));
    assertTrue(HostileHarness.whole(bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n")));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static Path tinyModel() throws Exception {
    Path base = Files.createTempDirectory("ctnet-hostile-harness");
    try (ModelSession m = TestModels.trainedOnBlobs(15, 4)) {
      m.export(base.resolve("tiny"), 1, m.assets());
    }
    return base;
  }

  private static ServerSettings settings(Path base) {
    return ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withLimits(300_000, 10_000, 16, 256).withUploads(2, 1_500);
  }
}
