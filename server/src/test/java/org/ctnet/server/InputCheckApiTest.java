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

  /** The chest as the tiny model's 32×32 input, through a window. */
  private static float[] input32(double level, double width) throws Exception {
    var image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(chest(level, width)));
    var pre = new org.ctnet.graph.preprocess.ImagePreprocessor(
        org.ctnet.graph.preprocess.Preprocessing.forInput(32, 32, 1), 1_000_000);
    return pre.toModelInput(org.ctnet.graph.preprocess.ImagePreprocessor.toGrey(image));
  }

  @Test
  void tfServingAndKServeAnswerTheChecksWhenAskedAndOnlyThen() throws Exception {
    float[] lung = input32(-600, 1500);
    float[] mediastinal = input32(40, 400);
    float[][][][] rows = new float[2][32][32][1];
    for (int k = 0; k < 1024; k++) {
      rows[0][k / 32][k % 32][0] = lung[k];
      rows[1][k / 32][k % 32][0] = mediastinal[k];
    }
    String instances = JSON.writeValueAsString(rows);
    JsonNode asked = JSON.readTree(TestServers.post(uri, "/v1/models/tiny:predict",
        "{\"input_check\": true, \"instances\": " + instances + "}").body());
    // At 32×32 the lung window's lungs are still found and grey; the mediastinal window's are black.
    assertEquals("ok", asked.get("predictions").get(0).get("input_check").asText(), asked.toString());
    assertTrue(asked.get("predictions").get(1).get("input_check").asText().contains("not_a_lung_window"), asked.toString());
    JsonNode plain = JSON.readTree(TestServers.post(uri, "/v1/models/tiny:predict", "{\"instances\": " + instances + "}").body());
    assertFalse(plain.get("predictions").get(0).has("input_check"), "not asked, not computed: " + plain);
    var bad = TestServers.post(uri, "/v1/models/tiny:predict", "{\"input_check\": \"yes\", \"instances\": " + instances + "}");
    assertEquals(400, bad.statusCode(), bad.body());

    float[] both = new float[2048];
    System.arraycopy(lung, 0, both, 0, 1024);
    System.arraycopy(mediastinal, 0, both, 1024, 1024);
    String v2 = "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[2,32,32,1],\"data\":"
        + JSON.writeValueAsString(both) + "}],\"outputs\":[{\"name\":\"probabilities\"},{\"name\":\"input_check\"}]}";
    JsonNode kserve = JSON.readTree(TestServers.post(uri, "/v2/models/tiny/infer", v2).body());
    JsonNode check = null;
    for (JsonNode o : kserve.get("outputs")) {
      check = o.get("name").asText().equals("input_check") ? o : check;
    }
    assertNotNull(check, kserve.toString());
    assertEquals("BYTES", check.get("datatype").asText());
    assertEquals("ok", check.get("data").get(0).asText());
    assertTrue(check.get("data").get(1).asText().contains("not_a_lung_window"), check.toString());
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

  @Test
  void aFittedOutOfDistributionFlagRidesBesideTheLabelAndStrictRefusesIt() throws Exception {
    var base = TestServers.exportTiny(Files.createTempDirectory("ctnet-ood"), "tiny", 1, 4);
    // A flag whose threshold every image passes: energy above -1e9.
    new org.ctnet.graph.check.OutOfDistribution.Calibration("energy", -1e9, 1.0, 1, "test",
        java.util.Map.of("energy", -1e9)).write(base.resolve("tiny/1"));
    try (ServerApp flagged = new ServerApp(ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1")
        .withPolling(0))) {
      URI u = URI.create("http://127.0.0.1:" + flagged.start().port() + "/");
      byte[] lungWindow = chest(-600, 1500);
      var r = TestServers.postBytes(u, "/api/models/tiny/classify", lungWindow, "image/png");
      assertEquals(200, r.statusCode(), r.body());
      var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
      assertTrue(body.path("input_check").toString().contains("out_of_distribution"), r.body());
      assertTrue(body.has("label"), "the label is still given: " + r.body());
      var strict = TestServers.postBytes(u, "/api/models/tiny/classify?strict=true", lungWindow, "image/png");
      assertEquals(422, strict.statusCode(), strict.body());
      assertTrue(strict.body().contains("out_of_distribution"), strict.body());
      // TF Serving's :predict and KServe's infer carry the flag in the checks they were asked for.
      float[] lung = input32(-600, 1500);
      float[][][][] rows = new float[1][32][32][1];
      for (int k = 0; k < 1024; k++) {
        rows[0][k / 32][k % 32][0] = lung[k];
      }
      JsonNode tfs = JSON.readTree(TestServers.post(u, "/v1/models/tiny:predict",
          "{\"input_check\": true, \"instances\": " + JSON.writeValueAsString(rows) + "}").body());
      assertEquals("out_of_distribution", tfs.get("predictions").get(0).get("input_check").asText(), tfs.toString());
      JsonNode kserve = JSON.readTree(TestServers.post(u, "/v2/models/tiny/infer",
          "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[1,32,32,1],\"data\":"
              + JSON.writeValueAsString(lung) + "}],\"outputs\":[{\"name\":\"input_check\"}]}").body());
      assertEquals("out_of_distribution", kserve.get("outputs").get(0).get("data").get(0).asText(), kserve.toString());
    }
    // The same image on the server without a fitted flag: no such reason.
    var plain = TestServers.postBytes(uri, "/api/models/tiny/classify", chest(-600, 1500), "image/png");
    assertTrue(!plain.body().contains("out_of_distribution"), plain.body());
  }
}
