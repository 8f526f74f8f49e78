package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import org.ctnet.graph.testing.DicomFiles;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.server.config.ServerSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The input checks over real HTTP: the label is answered with the checks beside it, a slice shown in a
 * mediastinal window is flagged by name, and with strict=true it is refused with 422 and the reason.
 */
class InputCheckApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static ServerApp app;
  private static URI uri;

  @BeforeAll
  static void start() throws Exception {
    var base = TestServers.exportTiny(Files.createTempDirectory("ctnet-check"), "tiny", 1, 4);
    app = new ServerApp(ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0));
    WebServer server = app.start();
    uri = URI.create("http://127.0.0.1:" + server.port() + "/");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** A synthetic chest of known HU (lungs with a few vessels) through a window, as an 8-bit PNG. */
  private static byte[] chest(double level, double width) {
    int side = 160;
    short[] hu = DicomFiles.chest(side, true);
    float[] grey = new float[hu.length];
    for (int i = 0; i < hu.length; i++) {
      double v = i % 37 == 0 && hu[i] == -800 ? -300 : hu[i];
      grey[i] = (float) Math.max(0, Math.min(1, (v - (level - width / 2)) / width));
    }
    return SyntheticImages.png(grey, side, side);
  }

  @Test
  void aLungWindowSliceIsOkAndAMediastinalOneIsFlaggedOrRefused() throws Exception {
    HttpResponse<String> ok = TestServers.postBytes(uri, "/api/models/tiny/classify", chest(-600, 1500), "image/png");
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals("ok", JSON.readTree(ok.body()).get("input_check").get("status").asText(), ok.body());

    HttpResponse<String> flagged = TestServers.postBytes(uri, "/api/models/tiny/explain", chest(40, 400), "image/png");
    assertEquals(200, flagged.statusCode(), flagged.body());
    JsonNode body = JSON.readTree(flagged.body());
    assertEquals("flagged", body.get("input_check").get("status").asText());
    assertEquals("not_a_lung_window", body.get("input_check").get("reasons").get(0).get("code").asText());
    assertTrue(body.has("label"), "the label is still answered: " + body);

    HttpResponse<String> refused = TestServers.postBytes(uri, "/api/models/tiny/classify?strict=true", chest(40, 400),
        "image/png");
    assertEquals(422, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("not_a_lung_window"), refused.body());
    HttpResponse<String> bad = TestServers.postBytes(uri, "/api/models/tiny/classify?strict=yes", chest(40, 400),
        "image/png");
    assertEquals(400, bad.statusCode(), bad.body());
  }
}
