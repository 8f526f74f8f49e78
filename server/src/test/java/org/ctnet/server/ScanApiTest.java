package org.ctnet.server;

import org.ctnet.server.config.ServerSettings;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.webserver.WebServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.scan.ScanScorer;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.graph.testing.DicomFiles;
import org.ctnet.graph.testing.SyntheticImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** POST /api/models/{m}/scan over real HTTP: multipart, zip and JSON uploads → one verdict per scan. */
class ScanApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path base;
  private static ServerApp app;
  private static URI uri;
  private static final List<byte[]> SERIES = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    base = TestServers.exportTiny(Files.createTempDirectory("ctnet-scan"), "tiny", 1, 4);
    app = new ServerApp(ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withDecodeBudget(64L << 20));
    WebServer server = app.start();
    uri = URI.create("http://127.0.0.1:" + server.port() + "/");
    for (int i = 0; i < 6; i++) {
      short[] hu = DicomFiles.chest(32, true);
      for (int p = 0; p < hu.length; p += 7 + i) {
        hu[p] = (short) (hu[p] + 300); // slices differ, so their probabilities do
      }
      SERIES.add(DicomFiles.write(DicomFiles.Slice.axial("1.2.3.1", 6 - i, 5.0 * i, hu, 32)));
    }
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static byte[] multipart(String boundary, List<String> names, List<byte[]> files) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < files.size(); i++) {
      out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + names.get(i)
          + "\"\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.writeBytes(files.get(i));
      out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  private static byte[] zip(List<byte[]> files, int copiesOfZeros) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (int i = 0; i < files.size(); i++) {
        zip.putNextEntry(new ZipEntry("study/IM" + i));
        zip.write(files.get(i));
        zip.closeEntry();
      }
      for (int i = 0; i < copiesOfZeros; i++) {
        zip.putNextEntry(new ZipEntry("zeros" + i));
        zip.write(new byte[64 << 20]);
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  @Test
  void aMultipartSeriesGetsOneVerdictEqualToTheInProcessScorerWithTheTopSliceExplained() throws Exception {
    List<byte[]> files = new ArrayList<>(SERIES);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < SERIES.size(); i++) {
      names.add("IM" + i);
    }
    files.add(DicomFiles.write(new DicomFiles.Slice("CT", "ORIGINAL\\PRIMARY\\LOCALIZER", "1.2.3", "1.2.3.9", 1, null, null,
        32, 32, new short[32 * 32])));
    names.add("scout");
    HttpResponse<String> r = TestServers.postBytes(uri, "/api/models/tiny/scan?method=gradcam", multipart("xyz", names, files),
        "multipart/form-data; boundary=xyz");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    JsonNode scan = body.path("scans").get(0);
    assertEquals(1, body.path("scans").size());
    assertEquals("1.2.3.1", scan.path("scan").asText());
    assertEquals(6, scan.path("slices").asInt());
    assertTrue(scan.path("lung_found").asBoolean());
    assertEquals("scout", body.path("skipped").get(0).path("file").asText());
    assertTrue(body.path("skipped").get(0).path("reason").asText().contains("localiser"));
    // Ordered along the body axis (InstanceNumber runs the other way), scored like the CLI's scorer.
    List<String> order = new ArrayList<>();
    scan.path("slice_probabilities").forEach(s -> order.add(s.path("file").asText()));
    assertEquals(names.subList(0, 6), order);
    try (LoadedModel session = LoadedModel.load(base.resolve("tiny/1"), SessionOptions.DEFAULT)) {
      List<SeriesAssembler.Input> inputs = new ArrayList<>();
      for (int i = 0; i < SERIES.size(); i++) {
        inputs.add(new SeriesAssembler.Input("IM" + i, SERIES.get(i)));
      }
      var series = SeriesAssembler.assemble(inputs, DicomReader.DEFAULT_MAX_PIXELS).series().get(0);
      ScanScorer.ScanResult local = new ScanScorer(session).score(series, DicomReader.DEFAULT_MAX_PIXELS, new ArrayList<>());
      assertEquals(local.probability(), scan.path("probability").asDouble(), 1e-5);
      for (int i = 0; i < 6; i++) {
        assertEquals(local.sliceProbabilities()[i], scan.path("slice_probabilities").get(i).path("probability").asDouble(), 1e-5);
      }
      assertEquals(local.decision().isPositive(local.probability()), scan.path("decision").path("positive").asBoolean());
    }
    JsonNode top = scan.path("top_slices");
    assertEquals(1, top.size(), "top 20% of 6 slices");
    assertEquals("gradcam", top.get(0).path("explanation").path("method").asText());
    assertTrue(top.get(0).path("explanation").path("overlay_png").asText().length() > 100);
  }

  @Test
  void zipsAndJsonSlicesWorkAndBombsAndGarbageAreClientErrors() throws Exception {
    HttpResponse<String> z = TestServers.postBytes(uri, "/api/models/tiny/scan", zip(SERIES, 0), "application/zip");
    assertEquals(200, z.statusCode(), z.body());
    assertEquals(6, JSON.readTree(z.body()).path("scans").get(0).path("slices").asInt());

    HttpResponse<String> bomb = TestServers.postBytes(uri, "/api/models/tiny/scan", zip(SERIES, 2), "application/zip");
    assertEquals(413, bomb.statusCode(), bomb.body());
    assertTrue(bomb.body().contains("inflates to more than"), bomb.body());

    SyntheticImages.Batch images = SyntheticImages.blobs(3, 32, 9);
    StringBuilder json = new StringBuilder("{\"slices\":[");
    for (int i = 0; i < 3; i++) {
      json.append(i > 0 ? "," : "").append("{\"name\":\"s").append(i).append("\",\"b64\":\"")
          .append(Base64.getEncoder().encodeToString(SyntheticImages.png(images.image(i), 32, 32))).append("\"}");
    }
    HttpResponse<String> slices = TestServers.post(uri, "/api/models/tiny/scan", json + "]}");
    assertEquals(200, slices.statusCode(), slices.body());
    JsonNode scan = JSON.readTree(slices.body()).path("scans").get(0);
    assertEquals("uploaded slices", scan.path("scan").asText());
    assertEquals(3, scan.path("slices").asInt());

    HttpResponse<String> garbage = TestServers.postBytes(uri, "/api/models/tiny/scan", "not an image".getBytes(), "application/octet-stream");
    assertEquals(400, garbage.statusCode(), garbage.body());
    assertTrue(garbage.body().contains("no scan could be scored"), garbage.body());
  }
}
