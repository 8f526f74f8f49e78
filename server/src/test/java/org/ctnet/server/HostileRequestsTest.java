package org.ctnet.server;

import org.ctnet.server.http.AccessLog;
import org.ctnet.server.config.ServerSettings;

import static org.junit.jupiter.api.Assertions.*;

import io.helidon.webserver.WebServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.ctnet.graph.testing.SyntheticImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an attacker sends, over real sockets to a server started as {@code ./dev serve} starts it
 * (listener limits included): every answer is a 4xx with a JSON error, never a 500, a hang or a
 * resource a client can grow without bound.
 */
class HostileRequestsTest {
  private static final int MAX_BODY = 300_000;
  private static final int MAX_UPLOADS = 2;
  private static final long BODY_TIMEOUT_MILLIS = 1_500;
  private static ServerApp app;
  private static WebServer server;
  private static URI uri;

  @BeforeAll
  static void start() throws IOException {
    Path base = TestServers.exportTiny(Files.createTempDirectory("ctnet-hostile"), "tiny", 1, 4);
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withLimits(MAX_BODY, 10_000, 16, 256).withUploads(MAX_UPLOADS, BODY_TIMEOUT_MILLIS);
    app = new ServerApp(settings);
    server = app.start();
    uri = URI.create("http://127.0.0.1:" + server.port() + "/");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** Sends raw bytes, half-closes, and returns the whole response text. */
  private static String raw(byte[] request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(request);
      socket.shutdownOutput();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String raw(String request) throws IOException {
    return raw(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * A client that asks for "Connection: close" and then waits for the end of the stream gets it within
   * the body timeout (plus the idle check's period), not after Helidon's five idle minutes.
   */
  @org.junit.jupiter.api.Test
  void aConnectionThatAskedToCloseIsClosedWithinTheBodyTimeout() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout((int) (4 * BODY_TIMEOUT_MILLIS + 2_000));
      socket.getOutputStream().write("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      long start = System.nanoTime();
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertStatus(200, answer);
      assertTrue(millis < 3 * BODY_TIMEOUT_MILLIS, "closed after " + millis + " ms");
    }
  }

  private static void assertStatus(int status, String response) {
    assertTrue(response.startsWith("HTTP/1.1 " + status), response);
  }

  private static void assertJsonError(HttpResponse<String> r, int status, String fragment) {
    assertEquals(status, r.statusCode(), r.body());
    assertTrue(r.body().startsWith("{\"error\":") && r.body().contains(fragment), r.body());
  }

  private static void assertAlive() throws Exception {
    assertEquals(200, TestServers.get(uri, "/v2/health/live").statusCode());
  }

  @Test
  void pathsWithoutAModelNameAre404() throws Exception {
    for (String path : List.of("/v1/models", "/v1/models/", "/v2/models", "/v2/models/")) {
      assertJsonError(TestServers.get(uri, path), 404, "missing model name");
      assertJsonError(TestServers.post(uri, path, "{}"), 404, "missing model name");
    }
    assertJsonError(TestServers.post(uri, "/api/models/", "{}"), 404, "missing model name");
    assertJsonError(TestServers.post(uri, "/api/models", "{}"), 404, "missing model name");
    assertJsonError(TestServers.get(uri, "/no/such/route"), 404, "no route for GET /no/such/route");
  }

  @Test
  void anInvalidMethodTokenIsAClientError() throws Exception {
    String response = raw("G@T /v1/models/tiny HTTP/1.1\r\nHost: x\r\n\r\n");
    int status = Integer.parseInt(response.substring(9, 12));
    assertTrue(status >= 400 && status < 500 || status == 501, response);
    assertAlive();
  }

  @Test
  void deeplyNestedDicomSequencesAreRefused() throws Exception {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 10 + 16 * 15_000).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putShort((short) 0x0008).putShort((short) 0x0060).putInt(2).put((byte) 'C').put((byte) 'T');
    for (int i = 0; i < 15_000; i++) {
      b.putShort((short) 0x0008).putShort((short) 0x1140).putInt(-1);
      b.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(-1);
    }
    assertJsonError(TestServers.postBytes(uri, "/api/models/tiny/classify", b.array(), "application/dicom"),
        400, "nested deeper");
  }

  @Test
  void dicomObeysThePixelLimitLikeEveryOtherFormat() throws Exception {
    byte[] dicom;
    try (InputStream in = HostileRequestsTest.class.getResourceAsStream("/dicom-corpus/e_rle_int16.dcm")) {
      dicom = in.readAllBytes();
    }
    assertJsonError(TestServers.postBytes(uri, "/api/models/tiny/classify", dicom, "application/dicom"),
        413, "512x512x1 pixels, more than the 10000 allowed");
    String b64 = "{\"signature_name\":\"serving_bytes\",\"instances\":[{\"b64\":\""
        + Base64.getEncoder().encodeToString(dicom) + "\"}]}";
    assertJsonError(TestServers.post(uri, "/v1/models/tiny:predict", b64), 413, "more than the 10000 allowed");
  }

  @Test
  void aChunkedBodyOverTheLimitIs413() throws Exception {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(("POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    byte[] chunk = new byte[64 << 10];
    java.util.Arrays.fill(chunk, (byte) ' ');
    for (int i = 0; i < 8; i++) {
      request.writeBytes((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      request.writeBytes(chunk);
      request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    request.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    String response = raw(request.toByteArray());
    assertStatus(413, response);
    assertAlive();
  }

  @Test
  void aBodyThatTricklesInTimesOutAndFreesItsUpload() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 200000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();
      String response = "";
      try {
        for (int i = 0; i < 100 && socket.getInputStream().available() == 0; i++) {
          out.write(' ');
          out.flush();
          Thread.sleep(100);
        }
      } catch (IOException closedByServer) {
        // the server answered and closed while we were still trickling
      }
      response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertStatus(408, response);
      assertTrue((System.nanoTime() - start) / 1e6 < 8_000, "answered within the body timeout");
    }
    assertAlive();
  }

  @Test
  void uploadsBeyondTheConcurrencyBudgetGet503AndPromisedLengthsAreNotAllocated() throws Exception {
    List<Socket> idle = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_UPLOADS; i++) {
        Socket s = new Socket("127.0.0.1", server.port());
        s.getOutputStream().write(("POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + MAX_BODY + "\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        idle.add(s);
      }
      Thread.sleep(300); // let the server start reading both
      HttpResponse<String> refused = TestServers.post(uri, "/v1/models/tiny:predict", "{\"instances\":[[[0]]]}");
      assertJsonError(refused, 503, "request bodies are being received");
      assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
      assertAlive();
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
    Thread.sleep(BODY_TIMEOUT_MILLIS + 500);
    assertEquals(400, TestServers.post(uri, "/v1/models/tiny:predict", "{\"instances\":[[[0]]]}").statusCode(),
        "the budget is free again once the idle uploads are gone");
  }

  @Test
  void unknownModelNamesDoNotMintMetricSeries() throws Exception {
    for (int i = 0; i < 30; i++) {
      assertEquals(404, TestServers.get(uri, "/v1/models/nosuchmodel" + i).statusCode());
    }
    String metrics = TestServers.get(uri, "/metrics").body();
    assertFalse(metrics.contains("nosuchmodel"), "client-chosen names must not become label values");
    assertTrue(metrics.contains("model=\"unknown\""), metrics.lines().filter(l -> l.contains("requests_total")).toList().toString());
  }

  @Test
  void formatsTheGraphCannotDecodeAreDecodedInJavaOrRefusedWith400() throws Exception {
    SyntheticImages.Batch images = SyntheticImages.blobs(1, 32, 3);
    byte[] png = SyntheticImages.png(images.image(0), 32, 32);
    java.awt.image.BufferedImage grey = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
    for (String format : List.of("gif", "bmp", "tiff")) {
      ByteArrayOutputStream encoded = new ByteArrayOutputStream();
      assertTrue(javax.imageio.ImageIO.write(grey, format, encoded), format);
      HttpResponse<String> r = TestServers.post(uri, "/v1/models/tiny:predict", "{\"signature_name\":\"serving_bytes\","
          + "\"instances\":[{\"b64\":\"" + Base64.getEncoder().encodeToString(encoded.toByteArray()) + "\"}]}");
      assertEquals(200, r.statusCode(), format + ": " + r.body());
    }
    byte[] corrupt = png.clone();
    for (int i = 60; i < corrupt.length - 12; i++) {
      corrupt[i] ^= 0x5a; // header intact, compressed data garbage
    }
    assertJsonError(TestServers.post(uri, "/v1/models/tiny:predict", "{\"signature_name\":\"serving_bytes\","
        + "\"instances\":[{\"b64\":\"" + Base64.getEncoder().encodeToString(corrupt) + "\"}]}"), 400, "");
  }

  @Test
  void numbersOutsideFloatRangeAndShapesOutsideIntRangeAre400() throws Exception {
    StringBuilder row = new StringBuilder();
    for (int i = 0; i < 32 * 32; i++) {
      row.append(i > 0 ? "," : "").append(i == 7 ? "1e39" : "0.5");
    }
    assertJsonError(TestServers.post(uri, "/v2/models/tiny/infer", "{\"inputs\":[{\"name\":\"images\",\"shape\":[1,32,32,1],"
        + "\"datatype\":\"FP32\",\"data\":[" + row + "]}]}"), 400, "outside the 32-bit float range");
    assertJsonError(TestServers.post(uri, "/v2/models/tiny/infer", "{\"inputs\":[{\"name\":\"images\","
        + "\"shape\":[4294967297,32,32,1],\"datatype\":\"FP32\",\"data\":[" + row.toString().replace("1e39", "0") + "]}]}"),
        400, "int32 range");
    StringBuilder nested = new StringBuilder("{\"instances\":[[");
    for (int y = 0; y < 32; y++) {
      nested.append(y > 0 ? "," : "").append("[");
      for (int x = 0; x < 32; x++) {
        nested.append(x > 0 ? "," : "").append(y == 3 && x == 4 ? "[-3.5e40]" : "[0.25]");
      }
      nested.append("]");
    }
    assertJsonError(TestServers.post(uri, "/v1/models/tiny:predict", nested + "]]}"), 400, "outside the 32-bit float range");
  }

  @Test
  void controlCharactersInThePathCannotForgeAccessLogLines() throws Exception {
    assertEquals("GET /v1/models/x\\x0d\\x0aFAKE 200", AccessLog.printable("GET /v1/models/x\r\nFAKE 200"));
    List<String> lines = new ArrayList<>();
    java.util.logging.Logger access = java.util.logging.Logger.getLogger("ctnet.access");
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override public void publish(java.util.logging.LogRecord r) { lines.add(r.getMessage()); }
      @Override public void flush() {}
      @Override public void close() {}
    };
    access.addHandler(capture);
    try {
      TestServers.get(uri, "/v1/models/a%0d%0aINJECTED");
      for (int i = 0; i < 50 && lines.isEmpty(); i++) {
        Thread.sleep(20); // the access line is written after the response is sent
      }
    } finally {
      access.removeHandler(capture);
    }
    assertFalse(lines.isEmpty());
    for (String line : lines) {
      assertFalse(line.contains("\r") || line.contains("\n"), line);
    }
  }

  @Test
  void aLongMultipartBoundaryIsRefusedNotSearchedQuadratically() throws Exception {
    String boundary = "b".repeat(8000);
    byte[] body = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n\r\n"
        + "x".repeat(200_000)).getBytes(StandardCharsets.ISO_8859_1);
    assertJsonError(TestServers.postBytes(uri, "/api/models/tiny/classify", body,
        "multipart/form-data; boundary=" + boundary), 400, "boundary must be 1..70 characters");
  }
}
