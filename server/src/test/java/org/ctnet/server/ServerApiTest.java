package org.ctnet.server;

import org.ctnet.server.config.ServerSettings;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import io.helidon.webserver.testing.junit5.SetUpServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.SyntheticImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Real HTTP against a started server with a tiny model built here. */
@ServerTest
class ServerApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path BASE;
  private static final ServerSettings SETTINGS;
  private static final ServerApp APP;
  private static final LoadedModel IN_PROCESS;
  private static final SyntheticImages.Batch IMAGES = SyntheticImages.blobs(4, 32, 12);

  static {
    try {
      BASE = TestServers.exportTiny(Files.createTempDirectory("ctnet-server"), "tiny", 1, 4);
      SETTINGS = ServerSettings.defaults(BASE).withPolling(0).withLimits(200_000, 10_000, 16, 256);
      APP = new ServerApp(SETTINGS);
      IN_PROCESS = LoadedModel.load(BASE.resolve("tiny/1"), SessionOptions.DEFAULT);
    } catch (IOException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final URI uri;

  ServerApiTest(URI uri) {
    this.uri = uri;
  }

  @SetUpServer
  static void server(WebServerConfig.Builder server) {
    ServerApp.configure(server, SETTINGS);
  }

  @SetUpRoute
  static void routing(HttpRouting.Builder routing) {
    APP.routing(routing);
  }

  @AfterAll
  static void close() {
    IN_PROCESS.close();
    APP.close();
  }

  private static String instancesJson(float[] pixels, int n) throws IOException {
    List<float[][][]> instances = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[][][] img = new float[32][32][1];
      for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
          img[y][x][0] = pixels[i * 1024 + y * 32 + x];
        }
      }
      instances.add(img);
    }
    return JSON.writeValueAsString(java.util.Map.of("instances", instances));
  }

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    return JSON.readTree(r.body());
  }

  private static void assertRow(float[] expected, JsonNode actual) {
    assertEquals(expected.length, actual.size());
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual.get(i).floatValue(), 1e-6f);
    }
  }

  @Test
  void statusAndMetadataInTfServingShape() throws Exception {
    JsonNode status = json(TestServers.get(uri, "/v1/models/tiny"));
    JsonNode v = status.get("model_version_status").get(0);
    assertEquals("1", v.get("version").asText());
    assertEquals("AVAILABLE", v.get("state").asText());
    assertEquals("OK", v.get("status").get("error_code").asText());
    JsonNode meta = json(TestServers.get(uri, "/v1/models/tiny/versions/1/metadata"));
    JsonNode defs = meta.at("/metadata/signature_def/signature_def");
    for (String key : List.of("serving_default", "serving_bytes", "explain", "train_step")) {
      assertTrue(defs.has(key), key);
    }
    assertEquals("DT_FLOAT", defs.at("/serving_default/inputs/images/dtype").asText());
    assertEquals("tensorflow/serving/predict", defs.at("/serving_default/method_name").asText());
  }

  @Test
  void predictRowColumnarAndB64EqualInProcessOutputs() throws Exception {
    Prediction expected = IN_PROCESS.predict(IMAGES.pixels(), 4);
    JsonNode rows = json(TestServers.post(uri, "/v1/models/tiny:predict", instancesJson(IMAGES.pixels(), 4)));
    for (int i = 0; i < 4; i++) {
      assertRow(expected.probabilities()[i], rows.get("predictions").get(i).get("probabilities"));
      assertRow(expected.logits()[i], rows.get("predictions").get(i).get("logits"));
    }
    String columnar = "{\"signature_name\":\"serving_default\",\"inputs\":{\"images\":"
        + JSON.readTree(instancesJson(IMAGES.pixels(), 4)).get("instances") + "}}";
    JsonNode cols = json(TestServers.post(uri, "/v1/models/tiny/versions/1:predict", columnar));
    for (int i = 0; i < 4; i++) {
      assertRow(expected.probabilities()[i], cols.get("outputs").get("probabilities").get(i));
    }
    // Encoded PNGs through the in-graph decoder (serving_bytes) equal the pixels they decode to.
    float[] quantised = SyntheticImages.quantised(IMAGES.pixels());
    Prediction q = IN_PROCESS.predict(quantised, 4);
    StringBuilder b64 = new StringBuilder("{\"signature_name\":\"serving_bytes\",\"instances\":[");
    for (int i = 0; i < 4; i++) {
      float[] one = new float[1024];
      System.arraycopy(quantised, i * 1024, one, 0, 1024);
      b64.append(i > 0 ? "," : "").append("{\"b64\":\"")
          .append(Base64.getEncoder().encodeToString(SyntheticImages.png(one, 32, 32))).append("\"}");
    }
    JsonNode bytes = json(TestServers.post(uri, "/v1/models/tiny:predict", b64 + "]}"));
    for (int i = 0; i < 4; i++) {
      assertRow(q.probabilities()[i], bytes.get("predictions").get(i).get("probabilities"));
    }
  }

  @Test
  void explainHeatmapEqualsInProcessExplanation() throws Exception {
    String body = "{\"instances\":" + JSON.readTree(instancesJson(IMAGES.pixels(), 2)).get("instances")
        + ",\"class_index\":1,\"method\":\"gradcampp\",\"grid\":32,\"overlay\":true}";
    HttpResponse<String> r = TestServers.post(uri, "/v1/models/tiny:explain", body);
    assertEquals(200, r.statusCode(), r.body());
    JsonNode out = json(r);
    float[] first = new float[2048];
    System.arraycopy(IMAGES.pixels(), 0, first, 0, 2048);
    Explanation e = IN_PROCESS.explain(first, 2, new int[] {1, 1});
    for (int i = 0; i < 2; i++) {
      JsonNode x = out.get("explanations").get(i);
      assertEquals(1, x.get("target_class").asInt());
      float[] heat = e.maps().get(CamMethod.GRAD_CAM_PLUS_PLUS).heatmap()[i];
      JsonNode grid = x.get("heatmap");
      for (int y = 0; y < 32; y++) {
        for (int xx = 0; xx < 32; xx++) {
          assertEquals(heat[y * 32 + xx], grid.get(y).get(xx).floatValue(), 1e-6f);
        }
      }
      byte[] png = Base64.getDecoder().decode(x.get("overlay_png").asText());
      assertEquals(32, javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png)).getWidth());
    }
  }

  /** A 32×32 slice with a body and two dark lungs (the blob images have no air inside the body). */
  private static float[] sliceWithLungs() {
    float[] image = new float[32 * 32];
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        double bx = (x - 15.5) / 15;
        double by = (y - 15.5) / 13;
        boolean body = bx * bx + by * by <= 1;
        boolean lung = Math.pow((x - 9.5) / 5, 2) + Math.pow((y - 15.5) / 9, 2) <= 1
            || Math.pow((x - 21.5) / 5, 2) + Math.pow((y - 15.5) / 9, 2) <= 1;
        image[y * 32 + x] = lung ? 0.1f : body ? 0.6f : 0.02f;
      }
    }
    return image;
  }

  @Test
  void explainRestrictedToTheLungFieldIsTheModelsMapInsideIt() throws Exception {
    float[] slice = sliceWithLungs();
    String images = JSON.readTree(instancesJson(slice, 1)).get("instances").toString();
    HttpResponse<String> r = TestServers.post(uri, "/v1/models/tiny:explain",
        "{\"instances\":" + images + ",\"class_index\":1,\"grid\":32,\"lungs\":true}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode x = json(r).get("explanations").get(0);
    assertTrue(x.at("/lung_field/found").asBoolean(), x.toString());
    org.ctnet.graph.preprocess.LungField field = org.ctnet.graph.preprocess.LungField.find(slice, 32, 32);
    float[] expected = field.constrain(IN_PROCESS.explain(slice, 1, new int[] {1}).maps()
        .get(CamMethod.GRAD_CAM_PLUS_PLUS).heatmap()[0]);
    int outside = 0;
    for (int y = 0; y < 32; y++) {
      for (int xx = 0; xx < 32; xx++) {
        assertEquals(expected[y * 32 + xx], x.get("heatmap").get(y).get(xx).floatValue(), 1e-6f);
        if (!field.mask()[y * 32 + xx]) {
          outside++;
          assertEquals(0f, x.get("heatmap").get(y).get(xx).floatValue(), "outside the lungs");
        }
      }
    }
    assertTrue(outside > 300, "the field leaves out the body and the air around it: " + outside);
    // Without the flag the same request returns the model's own map, and a non-boolean flag is refused.
    JsonNode plain = json(TestServers.post(uri, "/v1/models/tiny:explain",
        "{\"instances\":" + images + ",\"class_index\":1,\"grid\":32}")).get("explanations").get(0);
    assertFalse(plain.has("lung_field"));
    HttpResponse<String> bad = TestServers.post(uri, "/v1/models/tiny:explain",
        "{\"instances\":" + images + ",\"lungs\":\"yes\"}");
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("lungs must be true or false"), bad.body());
    byte[] png = org.ctnet.graph.testing.SyntheticImages.png(slice, 32, 32);
    HttpResponse<String> query = TestServers.postBytes(uri, "/api/models/tiny/explain?lungs=maybe", png, "image/png");
    assertEquals(400, query.statusCode(), query.body());
    HttpResponse<String> upload = TestServers.postBytes(uri, "/api/models/tiny/explain?lungs=true", png, "image/png");
    assertEquals(200, upload.statusCode(), upload.body());
    assertTrue(json(upload).at("/explanation/lung_field/found").asBoolean(), upload.body());
  }

  @Test
  void explainServesEveryMethodOfTheSignature() throws Exception {
    String images = JSON.readTree(instancesJson(IMAGES.pixels(), 1)).get("instances").toString();
    Explanation e = IN_PROCESS.explain(java.util.Arrays.copyOf(IMAGES.pixels(), 1024), 1, new int[] {-1});
    for (CamMethod m : IN_PROCESS.camMethods()) {
      HttpResponse<String> r = TestServers.post(uri, "/v1/models/tiny:explain",
          "{\"instances\":" + images + ",\"method\":\"" + m.key() + "\",\"grid\":32}");
      assertEquals(200, r.statusCode(), m + ": " + r.body());
      JsonNode x = json(r).get("explanations").get(0);
      assertEquals(m.key(), x.get("method").asText());
      assertEquals(e.maps().get(m).heatmap()[0][100], x.get("heatmap").get(3).get(4).floatValue(), 1e-6f, m.toString());
    }
  }

  /** KServe's binary tensor extension: a JSON header of a declared length, then raw little-endian tensors. */
  private HttpResponse<byte[]> binaryInfer(String header, byte[] data) throws Exception {
    byte[] json = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] body = java.util.Arrays.copyOf(json, json.length + data.length);
    System.arraycopy(data, 0, body, json.length, data.length);
    return TestServers.CLIENT.send(java.net.http.HttpRequest.newBuilder(uri.resolve("/v2/models/tiny/infer"))
        .header("Inference-Header-Content-Length", Integer.toString(json.length))
        .header("Content-Type", "application/octet-stream")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void kserveBinaryTensorsInAndOut() throws Exception {
    java.nio.ByteBuffer pixels = java.nio.ByteBuffer.allocate(2 * 32 * 32 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 2 * 32 * 32; i++) {
      pixels.putFloat(IMAGES.pixels()[i]);
    }
    String header = "{\"id\":\"b1\",\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[2,32,32,1],"
        + "\"parameters\":{\"binary_data_size\":" + pixels.capacity() + "}}],\"outputs\":[{\"name\":\"probabilities\","
        + "\"parameters\":{\"binary_data\":true}},{\"name\":\"logits\"}]}";
    HttpResponse<byte[]> r = binaryInfer(header, pixels.array());
    assertEquals(200, r.statusCode(), new String(r.body()));
    int length = Integer.parseInt(r.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
    JsonNode answer = JSON.readTree(java.util.Arrays.copyOf(r.body(), length));
    assertEquals("b1", answer.get("id").asText());
    JsonNode probabilities = answer.get("outputs").get(0);
    assertEquals("probabilities", probabilities.get("name").asText());
    assertEquals(16, probabilities.get("parameters").get("binary_data_size").asInt());
    assertFalse(probabilities.has("data"), "in binary, not in JSON");
    assertTrue(answer.get("outputs").get(1).has("data"), "logits stay JSON");
    java.nio.FloatBuffer binary = java.nio.ByteBuffer.wrap(r.body(), length, r.body().length - length)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    Prediction expected = IN_PROCESS.predict(java.util.Arrays.copyOf(IMAGES.pixels(), 2 * 32 * 32), 2);
    for (int i = 0; i < 2; i++) {
      for (int c = 0; c < 2; c++) {
        assertEquals(expected.probabilities()[i][c], binary.get(), 1e-6);
      }
    }

    // BYTES in binary: each PNG after a 4-byte little-endian length; every output in binary
    byte[] png = org.ctnet.graph.testing.SyntheticImages.png(java.util.Arrays.copyOf(IMAGES.pixels(), 32 * 32), 32, 32);
    java.nio.ByteBuffer strings = java.nio.ByteBuffer.allocate(4 + png.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    strings.putInt(png.length).put(png);
    HttpResponse<byte[]> bytes = binaryInfer("{\"inputs\":[{\"name\":\"image_bytes\",\"datatype\":\"BYTES\",\"shape\":[1],"
        + "\"parameters\":{\"binary_data_size\":" + strings.capacity() + "}}],\"parameters\":{\"binary_data_output\":true}}",
        strings.array());
    assertEquals(200, bytes.statusCode(), new String(bytes.body()));
    int bytesLength = Integer.parseInt(bytes.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
    assertEquals(bytesLength + 2 * 2 * 4, bytes.body().length, "probabilities and logits, 2 floats each");

    // sizes that do not add up are refused
    assertEquals(400, binaryInfer(header.replace(":" + pixels.capacity() + "}", ":12}"), pixels.array()).statusCode());
    assertEquals(400, binaryInfer(header, java.util.Arrays.copyOf(pixels.array(), 100)).statusCode());
    HttpResponse<String> tooLong = TestServers.CLIENT.send(java.net.http.HttpRequest.newBuilder(uri.resolve("/v2/models/tiny/infer"))
        .header("Inference-Header-Content-Length", "99999")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, tooLong.statusCode());
    assertTrue(tooLong.body().contains("exceeds"), tooLong.body());
  }

  @Test
  void kserveV2HealthMetadataAndInfer() throws Exception {
    assertEquals(200, TestServers.get(uri, "/v2/health/live").statusCode());
    assertEquals(200, TestServers.get(uri, "/v2/health/ready").statusCode());
    assertTrue(json(TestServers.get(uri, "/v2/models/tiny/ready")).get("ready").asBoolean());
    JsonNode versionReady = json(TestServers.get(uri, "/v2/models/tiny/versions/1/ready"));
    assertTrue(versionReady.get("ready").asBoolean() && versionReady.get("version").asText().equals("1"), versionReady.toString());
    assertEquals(404, TestServers.get(uri, "/v2/models/tiny/versions/9/ready").statusCode(), "a version never seen");
    assertEquals(400, TestServers.get(uri, "/v2/models/tiny/versions/x/ready").statusCode());
    JsonNode server = json(TestServers.get(uri, "/v2"));
    assertEquals("ctnet-server", server.get("name").asText(), "OIP server metadata");
    assertFalse(server.get("version").asText().isEmpty());
    assertTrue(server.get("extensions").isArray());
    JsonNode meta = json(TestServers.get(uri, "/v2/models/tiny"));
    assertTrue(meta.at("/parameters/devices/0").asText().contains("device:CPU:0"), meta.toString());
    assertEquals("images", meta.get("inputs").get(0).get("name").asText());
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 2048; i++) {
      data.append(i > 0 ? "," : "").append(IMAGES.pixels()[i]);
    }
    String body = "{\"id\":\"r1\",\"inputs\":[{\"name\":\"images\",\"shape\":[2,32,32,1],\"datatype\":\"FP32\",\"data\":["
        + data + "]}],\"outputs\":[{\"name\":\"probabilities\"}]}";
    JsonNode out = json(TestServers.post(uri, "/v2/models/tiny/versions/1/infer", body));
    assertEquals("r1", out.get("id").asText());
    assertEquals(1, out.get("outputs").size());
    Prediction expected = IN_PROCESS.predict(java.util.Arrays.copyOf(IMAGES.pixels(), 2048), 2);
    JsonNode flat = out.get("outputs").get(0).get("data");
    assertEquals(expected.probabilities()[1][1], flat.get(3).floatValue(), 1e-6f);
    // The same tensor with nested data (the general path) and with its members reordered (the
    // byte-level path) answers identically; a short data list is refused with the general message.
    String nested = "{\"inputs\":[{\"name\":\"images\",\"shape\":[2,32,32,1],\"datatype\":\"FP32\",\"data\":"
        + instancesJson(java.util.Arrays.copyOf(IMAGES.pixels(), 2048), 2).replace("{\"instances\":", "").replaceAll("}$", "")
        + "}],\"id\":\"r1\",\"outputs\":[{\"name\":\"probabilities\"}]}";
    assertEquals(out, json(TestServers.post(uri, "/v2/models/tiny/versions/1/infer", nested)));
    String reordered = "{\"outputs\":[{\"name\":\"probabilities\"}],\"inputs\":[{\"data\":[" + data
        + "],\"datatype\":\"FP32\",\"shape\":[2,32,32,1],\"name\":\"images\"}],\"id\":\"r1\"}";
    assertEquals(out, json(TestServers.post(uri, "/v2/models/tiny/versions/1/infer", reordered)));
    assertError(TestServers.post(uri, "/v2/models/tiny/infer", "{\"inputs\":[{\"name\":\"images\",\"shape\":[2,32,32,1],"
        + "\"datatype\":\"FP32\",\"data\":[" + data.substring(0, data.lastIndexOf(",")) + "]}]}"), 400, "values, the shape needs");
    // The explain signature's outputs through v2 infer (both parsing paths): maps equal the in-process explain.
    String explainBody = "{\"inputs\":[{\"name\":\"images\",\"shape\":[2,32,32,1],\"datatype\":\"FP32\",\"data\":[" + data
        + "]}],\"parameters\":{\"class_index\":1},\"outputs\":[{\"name\":\"gradcampp_heatmap\"},{\"name\":\"target_class\"},"
        + "{\"name\":\"gradcampp_has_evidence\"},{\"name\":\"probabilities\"}]}";
    Explanation reference = IN_PROCESS.explain(java.util.Arrays.copyOf(IMAGES.pixels(), 2048), 2, new int[] {1, 1});
    for (String b : List.of(explainBody, explainBody.replace("\"data\":[" + data + "]", "\"data\":"
        + instancesJson(java.util.Arrays.copyOf(IMAGES.pixels(), 2048), 2).replace("{\"instances\":", "").replaceAll("}$", "")))) {
      JsonNode explained = json(TestServers.post(uri, "/v2/models/tiny/infer", b));
      java.util.Map<String, JsonNode> byName = new java.util.HashMap<>();
      explained.get("outputs").forEach(o -> byName.put(o.get("name").asText(), o));
      assertEquals(java.util.Set.of("gradcampp_heatmap", "target_class", "gradcampp_has_evidence", "probabilities"), byName.keySet());
      assertEquals("[2,32,32]", byName.get("gradcampp_heatmap").get("shape").toString());
      assertEquals(1, byName.get("target_class").get("data").get(1).asInt());
      float[] map = reference.maps().get(CamMethod.GRAD_CAM_PLUS_PLUS).heatmap()[1];
      assertEquals(map[300], byName.get("gradcampp_heatmap").get("data").get(1024 + 300).floatValue(), 1e-6f);
    }
    assertError(TestServers.post(uri, "/v2/models/tiny/infer", explainBody.replace(
        "{\"name\":\"target_class\"}", "{\"name\":\"nonsense\"}")), 400, "unknown output 'nonsense'");
    assertError(TestServers.post(uri, "/v2/models/tiny/infer", explainBody.replace("\"class_index\":1", "\"class_index\":7")),
        400, "class_index");
  }

  @Test
  void imageEndpointsTakeRawAndMultipartUploads() throws Exception {
    byte[] png = SyntheticImages.png(IMAGES.image(1), 32, 32);
    JsonNode raw = json(TestServers.postBytes(uri, "/api/models/tiny/classify", png, "image/png"));
    // The label is the locked decision applied to P(covid), and the response says so consistently.
    double pCovid = raw.get("probabilities").get("covid").asDouble();
    double threshold = raw.get("decision").get("threshold").asDouble();
    assertEquals(pCovid >= threshold ? "covid" : "non-covid", raw.get("label").asText(), raw.toString());
    assertEquals(pCovid >= threshold, raw.get("decision").get("positive").asBoolean(), raw.toString());
    assertEquals(1.0, pCovid + raw.get("probabilities").get("non-covid").asDouble(), 1e-5);
    String boundary = "XyZ123";
    byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
        + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] multipart = new byte[head.length + png.length + tail.length];
    System.arraycopy(head, 0, multipart, 0, head.length);
    System.arraycopy(png, 0, multipart, head.length, png.length);
    System.arraycopy(tail, 0, multipart, head.length + png.length, tail.length);
    HttpResponse<String> r = TestServers.postBytes(uri, "/api/models/tiny/explain?opacity=0.7&method=gradcam", multipart,
        "multipart/form-data; boundary=" + boundary);
    assertEquals(200, r.statusCode(), r.body());
    JsonNode x = json(r);
    assertEquals(raw.get("probabilities"), x.get("probabilities"));
    assertEquals("gradcam", x.get("explanation").get("method").asText());
    assertFalse(x.get("explanation").get("heatmap_png").asText().isEmpty());
  }

  @Test
  void webPageMetricsAndHealth() throws Exception {
    HttpResponse<String> page = TestServers.get(uri, "/");
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("Grad-CAM++") && page.body().contains("opacity"));
    HttpResponse<String> status = TestServers.get(uri, "/v1/models/tiny");
    assertEquals(200, status.statusCode(), status.body());
    assertEquals("AVAILABLE", json(status).get("model_version_status").get(0).get("state").asText(), status.body());
    assertEquals(200, TestServers.post(uri, "/v1/models/tiny:predict", instancesJson(IMAGES.pixels(), 1)).statusCode());
    String metrics = TestServers.get(uri, "/metrics").body();
    assertTrue(metrics.contains("ctnet_requests_total{"), metrics);
    // inference requests are counted per model version
    assertTrue(java.util.regex.Pattern.compile("ctnet_requests_total\\{code=\"200\",endpoint=\"[^\"]+\",model=\"tiny\",version=\"1\"} [1-9]")
        .matcher(metrics).find(), metrics);
    assertTrue(metrics.contains("ctnet_request_seconds_bucket{"), metrics);
    // the client library's JVM and process metrics come with it
    assertTrue(metrics.contains("jvm_memory_used_bytes{") && metrics.contains("process_cpu_seconds_total"), metrics);
    assertEquals(200, TestServers.get(uri, "/health/ready").statusCode());
    JsonNode overview = json(TestServers.get(uri, "/api/models"));
    assertTrue(overview.get("tiny").get("devices").get("1").get(0).asText().contains("CPU"), overview.toString());
  }

  private void assertError(HttpResponse<String> r, int status, String fragment) throws IOException {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode body = json(r);
    assertTrue(body.has("error"), r.body());
    assertTrue(body.get("error").asText().contains(fragment), "'" + fragment + "' not in " + r.body());
  }

  @Test
  void everyBadRequestGetsItsDocumentedStatusAndBody() throws Exception {
    assertError(TestServers.post(uri, "/v1/models/tiny:predict", "{\"instances\": [1, 2"), 400, "malformed JSON");
    assertError(TestServers.post(uri, "/v1/models/tiny:predict", "{\"instances\": [[[1,2],[3,4]]]}"), 400, "dimension 0 has 2");
    assertError(TestServers.post(uri, "/v1/models/tiny:predict", "{\"instances\": [\"x\"]}"), 400, "expected an array");
    assertError(TestServers.post(uri, "/v1/models/tiny:predict", "{\"foo\": 1}"), 400, "exactly one of 'instances'");
    assertError(TestServers.post(uri, "/v1/models/nope:predict", instancesJson(IMAGES.pixels(), 1)), 404, "Servable not found");
    assertError(TestServers.post(uri, "/v1/models/tiny/versions/7:predict", instancesJson(IMAGES.pixels(), 1)), 404, "Servable not found");
    assertError(TestServers.get(uri, "/v1/models/tiny/versions/x"), 400, "positive integer");
    assertError(TestServers.get(uri, "/v1/models/..%2F..%2Fetc"), 404, "invalid or missing model name");
    assertError(TestServers.post(uri, "/v1/models/tiny:predict", "{\"signature_name\":\"serving_bytes\",\"instances\":[{\"b64\":\""
        + Base64.getEncoder().encodeToString("not an image".getBytes()) + "\"}]}"), 400, "not a PNG");
    byte[] png = SyntheticImages.png(IMAGES.image(0), 32, 32);
    byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
    assertError(TestServers.postBytes(uri, "/api/models/tiny/classify", truncated, "image/png"), 400, "image 0");
    assertError(TestServers.postBytes(uri, "/api/models/tiny/classify", "hello".getBytes(), "image/png"), 400, "not a PNG");
    // 200x200 = 40,000 pixels > the 10,000 limit: refused from the header, before decoding.
    java.awt.image.BufferedImage big = new java.awt.image.BufferedImage(200, 200, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    assertError(TestServers.postBytes(uri, "/api/models/tiny/classify", SyntheticImages.encode(big, "png"), "image/png"),
        413, "more than the limit");
    HttpResponse<String> huge = TestServers.postBytes(uri, "/api/models/tiny/classify", new byte[300_000], "image/png");
    assertEquals(413, huge.statusCode());
    StringBuilder many = new StringBuilder("{\"instances\":[");
    for (int i = 0; i < 17; i++) {
      many.append(i > 0 ? "," : "").append("[[0]]");
    }
    assertError(TestServers.post(uri, "/v1/models/tiny:predict", many + "]}"), 400, "more than the limit of 16");
    assertError(TestServers.post(uri, "/v1/models/tiny:explain", instancesJson(IMAGES.pixels(), 1)
        .replace("}", ",\"class_index\":5}")), 400, "class_index");
    assertError(TestServers.post(uri, "/v1/models/tiny:explain", instancesJson(IMAGES.pixels(), 1)
        .replace("}", ",\"method\":\"magic\"}")), 400, "CAM method");
    assertError(TestServers.post(uri, "/v2/models/tiny/infer", "{\"inputs\":[{\"name\":\"images\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}"),
        400, "FP32 input shape");
    // A client that declares 100 bytes, sends 22 and stops writing.
    try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
      socket.getOutputStream().write(("POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\n\r\n{\"instances\":[[1,2,3]]").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.shutdownOutput();
      String response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(response.startsWith("HTTP/1.1 400"), response);
      assertTrue(response.contains("ended before its declared length"), response);
    }
    // The server is still fine afterwards.
    assertEquals(200, TestServers.post(uri, "/v1/models/tiny:predict", instancesJson(IMAGES.pixels(), 1)).statusCode());
  }

  @Test
  void thirtyTwoParallelClientsGetWhatSerialClientsGet() throws Exception {
    // predict on pixels, predict on PNG bytes and explain (alternating classes): three scheduler
    // lanes whose requests share micro-batches, each answer must be the request's own.
    SyntheticImages.Batch many = SyntheticImages.blobs(32, 32, 77);
    List<String[]> requests = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      String pixels = instancesJson(many.image(i), 1);
      requests.add(new String[] {"/v1/models/tiny:predict", pixels});
      requests.add(new String[] {"/v1/models/tiny:predict", "{\"signature_name\":\"serving_bytes\",\"instances\":[{\"b64\":\""
          + Base64.getEncoder().encodeToString(SyntheticImages.png(many.image(i), 32, 32)) + "\"}]}"});
      requests.add(new String[] {"/v1/models/tiny:explain",
          pixels.substring(0, pixels.length() - 1) + ",\"class_index\":" + (i % 2) + ",\"grid\":4}"});
    }
    List<JsonNode> serial = new ArrayList<>();
    for (String[] r : requests) {
      serial.add(json(TestServers.post(uri, r[0], r[1])));
    }
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try {
      for (int round = 0; round < 3; round++) {
        List<Future<JsonNode>> futures = new ArrayList<>();
        for (String[] r : requests) {
          futures.add(pool.submit(() -> json(TestServers.post(uri, r[0], r[1]))));
        }
        for (int i = 0; i < requests.size(); i++) {
          JsonNode expected = serial.get(i);
          JsonNode parallel = futures.get(i).get();
          String what = "request " + i + " " + requests.get(i)[0];
          for (int k = 0; k < 2; k++) {
            assertEquals(expected.get("predictions").get(0).get("probabilities").get(k).floatValue(),
                parallel.get("predictions").get(0).get("probabilities").get(k).floatValue(), 1e-5f, what);
          }
          if (expected.has("explanations")) {
            JsonNode e = expected.get("explanations").get(0);
            JsonNode p = parallel.get("explanations").get(0);
            assertEquals(e.get("target_class").asInt(), p.get("target_class").asInt(), what);
            for (int y = 0; y < 4; y++) {
              for (int x = 0; x < 4; x++) {
                assertEquals(e.get("heatmap").get(y).get(x).floatValue(), p.get("heatmap").get(y).get(x).floatValue(), 1e-4f, what);
              }
            }
          }
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
