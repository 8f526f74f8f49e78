package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.server.config.ServerSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One rule turns a probability into a class: with a locked threshold under 0.5, an image whose P(covid)
 * lies between the threshold and 0.5 is labelled covid, and its map — asked for without a class — explains
 * covid too (the explain signature alone would explain the arg-max, non-covid). Over real HTTP, the image
 * API and TF Serving's :explain.
 */
class DecisionAgreementTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SyntheticImages.Batch IMAGES = SyntheticImages.blobs(16, 32, 31);
  private static ServerApp app;
  private static URI uri;
  private static float[] covid;
  private static double threshold;

  @BeforeAll
  static void start() throws Exception {
    Path base = Files.createTempDirectory("ctnet-decision");
    try (ModelSession m = TestModels.trainedOnBlobs(15, 4)) {
      float[][] p = m.predict(IMAGES.pixels(), IMAGES.count()).probabilities();
      covid = new float[p.length];
      float lowest = 1;
      for (int i = 0; i < p.length; i++) {
        covid[i] = p[i][1];
        lowest = Math.min(lowest, covid[i]);
      }
      // Every image at or above the lowest probability is covid by decision: those under 0.5 disagree with the arg-max.
      threshold = lowest;
      m.export(base.resolve("tiny"), 1, m.assets().withDecision(new ModelAssets.Decision(threshold, "test: lowest")));
    }
    app = new ServerApp(ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0));
    WebServer server = app.start();
    uri = URI.create("http://127.0.0.1:" + server.port() + "/");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void aLabelAndItsMapAgreeBetweenTheThresholdAndOneHalf() throws Exception {
    int between = 0;
    for (int i = 0; i < IMAGES.count(); i++) {
      between += covid[i] >= threshold && covid[i] < 0.5 ? 1 : 0;
    }
    assertTrue(between > 0, "the fixture needs images between the threshold " + threshold + " and 0.5");
    // TF Serving :explain, no class_index: every image explains its decision's class, covid (1).
    StringBuilder rows = new StringBuilder("{\"instances\": [");
    for (int i = 0; i < IMAGES.count(); i++) {
      rows.append(i > 0 ? "," : "").append(JSON.writeValueAsString(toRows(IMAGES.image(i))));
    }
    JsonNode explained = JSON.readTree(TestServers.post(uri, "/v1/models/tiny:explain", rows + "]}").body());
    for (int i = 0; i < IMAGES.count(); i++) {
      assertEquals(1, explained.get("explanations").get(i).get("target_class").asInt(),
          "image " + i + " P(covid) " + covid[i] + ": " + explained.get("explanations").get(i).get("target_label"));
    }
    // KServe v2 takes -1 as TF Serving does (it refused it before), and explains the decision's class too.
    String input = "{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[" + IMAGES.count() + ",32,32,1],\"data\":"
        + JSON.writeValueAsString(IMAGES.pixels()) + "}";
    String body = "{\"inputs\":[" + input + "],\"outputs\":[{\"name\":\"target_class\"}],\"parameters\":{\"class_index\":-1}}";
    var kserve = TestServers.post(uri, "/v2/models/tiny/infer", body);
    assertEquals(200, kserve.statusCode(), kserve.body());
    JsonNode targets = JSON.readTree(kserve.body()).get("outputs").get(0).get("data");
    for (int i = 0; i < IMAGES.count(); i++) {
      assertEquals(1, targets.get(i).asInt(), "KServe image " + i);
    }
    var refused = TestServers.post(uri, "/v2/models/tiny/infer", body.replace("-1", "-2"));
    assertEquals(400, refused.statusCode(), refused.body());
    // The image API: the label and the map's class are the same for an image between the threshold and 0.5.
    for (int i = 0; i < IMAGES.count(); i++) {
      if (covid[i] >= 0.5) {
        continue;
      }
      byte[] png = SyntheticImages.png(IMAGES.image(i), 32, 32);
      JsonNode r = JSON.readTree(TestServers.postBytes(uri, "/api/models/tiny/explain", png, "image/png").body());
      assertEquals(r.get("label").asText(), r.get("explanation").get("target_label").asText(), r.toString());
    }
  }

  private static float[][][] toRows(float[] image) {
    float[][][] out = new float[32][32][1];
    for (int k = 0; k < image.length; k++) {
      out[k / 32][k % 32][0] = image[k];
    }
    return out;
  }
}
