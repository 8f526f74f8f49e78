package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.lesion.Severity;
import org.ctnet.graph.runtime.LesionMaps;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.server.config.ServerSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A model with a lesion head served over real HTTP: its lesion outputs by name in TF Serving
 * (every output, as TF Serving answers) and KServe v2 (scalars by default, maps when named), the
 * image API's lesion block and overlay, and the metadata that announces them; numbers against the
 * model run in-process.
 */
class LesionServingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SyntheticImages.Batch IMAGES = SyntheticImages.blobs(2, 32, 77);
  private static ServerApp app;
  private static URI uri;
  private static LoadedModel inProcess;

  @BeforeAll
  static void start() throws Exception {
    Path base = TestServers.exportTinyLesion(Files.createTempDirectory("ctnet-lesion"), "lesion");
    TestServers.exportTiny(base, "plain", 1, 4);
    app = new ServerApp(ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0));
    WebServer server = app.start();
    uri = URI.create("http://127.0.0.1:" + server.port() + "/");
    inProcess = LoadedModel.load(base.resolve("lesion/1"), SessionOptions.DEFAULT);
  }

  @AfterAll
  static void stop() {
    app.close();
    inProcess.close();
  }

  private static String instances() throws Exception {
    float[][][][] rows = new float[2][32][32][1];
    for (int i = 0; i < 2; i++) {
      for (int k = 0; k < 1024; k++) {
        rows[i][k / 32][k % 32][0] = IMAGES.pixels()[i * 1024 + k];
      }
    }
    return JSON.writeValueAsString(java.util.Map.of("instances", rows));
  }

  @Test
  void tfServingPredictAnswersEveryOutputOfTheSignature() throws Exception {
    HttpResponse<String> r = TestServers.post(uri, "/v1/models/lesion:predict", instances());
    assertEquals(200, r.statusCode(), r.body());
    JsonNode rows = JSON.readTree(r.body()).get("predictions");
    LesionMaps expected = inProcess.predict(IMAGES.pixels(), 2).lesion();
    for (int i = 0; i < 2; i++) {
      JsonNode row = rows.get(i);
      assertEquals(expected.involvement()[i], row.get(ModelNames.OUT_LUNG_INVOLVEMENT).floatValue(), 1e-6);
      assertEquals(expected.severity()[i], row.get(ModelNames.OUT_SEVERITY).intValue());
      assertEquals(Severity.of(expected.involvement()[i]).ordinal(), row.get(ModelNames.OUT_SEVERITY).intValue());
      JsonNode map = row.get(ModelNames.OUT_LESION_MAP);
      assertEquals(32, map.size());
      assertEquals(32, map.get(0).size());
      assertEquals(expected.lesionMaps()[i][5 * 32 + 7], map.get(5).get(7).floatValue(), 1e-6);
      assertEquals(expected.lungMaps()[i][31], row.get(ModelNames.OUT_LUNG_MAP).get(0).get(31).floatValue(), 1e-6);
    }
    // The plain model's answer has no lesion outputs.
    JsonNode plain = JSON.readTree(TestServers.post(uri, "/v1/models/plain:predict", instances()).body());
    assertFalse(plain.get("predictions").get(0).has(ModelNames.OUT_LUNG_INVOLVEMENT), plain.toString());
  }

  @Test
  void kserveGivesTheScalarsByDefaultAndTheMapsByName() throws Exception {
    String input = "{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[2,32,32,1],\"data\":"
        + JSON.writeValueAsString(IMAGES.pixels()) + "}";
    JsonNode plainDefault = JSON.readTree(TestServers.post(uri, "/v2/models/lesion/infer",
        "{\"inputs\":[" + input + "]}").body());
    java.util.Set<String> names = new java.util.HashSet<>();
    plainDefault.get("outputs").forEach(o -> names.add(o.get("name").asText()));
    assertEquals(java.util.Set.of("probabilities", "logits", "lung_involvement", "severity"), names);
    HttpResponse<String> r = TestServers.post(uri, "/v2/models/lesion/infer",
        "{\"inputs\":[" + input + "],\"outputs\":[{\"name\":\"lesion_map\"},{\"name\":\"severity\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode outputs = JSON.readTree(r.body()).get("outputs");
    assertEquals(2, outputs.size(), outputs.toString());
    JsonNode map = outputs.get(0).get("name").asText().equals("lesion_map") ? outputs.get(0) : outputs.get(1);
    assertEquals("[2,32,32]", map.get("shape").toString());
    LesionMaps expected = inProcess.predict(IMAGES.pixels(), 2).lesion();
    assertEquals(expected.lesionMaps()[1][100], map.get("data").get(1024 + 100).floatValue(), 1e-6);
    HttpResponse<String> unknown = TestServers.post(uri, "/v2/models/plain/infer",
        "{\"inputs\":[" + input + "],\"outputs\":[{\"name\":\"lesion_map\"}]}");
    assertEquals(400, unknown.statusCode(), unknown.body());
    assertTrue(unknown.body().contains("unknown output 'lesion_map'"), unknown.body());
    JsonNode metadata = JSON.readTree(TestServers.get(uri, "/v2/models/lesion").body());
    assertTrue(metadata.get("outputs").toString().contains("\"lesion_map\""), metadata.toString());
  }

  @Test
  void theImageApiShowsTheLesionBesideTheHeatmap() throws Exception {
    byte[] png = SyntheticImages.png(java.util.Arrays.copyOf(IMAGES.pixels(), 1024), 32, 32);
    HttpResponse<String> r = TestServers.postBytes(uri, "/api/models/lesion/explain", png, "image/png");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode lesion = JSON.readTree(r.body()).get("explanation").get("lesion");
    assertNotNull(lesion, r.body());
    double involvement = lesion.get("lung_involvement").asDouble();
    assertEquals(Severity.of(involvement).code(), lesion.get("severity").asText());
    byte[] layer = java.util.Base64.getDecoder().decode(lesion.get("lesion_png").asText());
    var image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(layer));
    assertEquals(32, image.getWidth());
    assertTrue(image.getColorModel().hasAlpha(), "a layer the page can fade");
    JsonNode classified = JSON.readTree(TestServers.postBytes(uri, "/api/models/lesion/classify", png, "image/png").body());
    assertEquals(lesion.get("severity").asText(), classified.get("lesion").get("severity").asText(), classified.toString());
  }
}
