package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.testing.DicomFiles;
import org.ctnet.server.config.ServerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scan uploaded file by file, as the web page sends a folder: a series larger than the body limit
 * (refused whole with 413) is scored, each refused file is named, and the upload is gone once scored.
 */
class ScanUploadTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  @TempDir Path dir;

  private HttpResponse<String> post(URI base, String path, byte[] body, String type) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).POST(body == null
        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (type != null) {
      b.header("Content-Type", type);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aSeriesAboveTheBodyLimitIsScoredFileByFile() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 4);
    // A body limit below the series' size, above any one of its files.
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withLimits(20_000, 50_000_000L, 64, 256);
    try (ServerApp app = new ServerApp(settings)) {
      URI uri = URI.create("http://127.0.0.1:" + app.start().port() + "/");
      List<byte[]> series = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        short[] hu = DicomFiles.chest(64, true);
        hu[i * 100] += 200;
        series.add(DicomFiles.write(DicomFiles.Slice.axial("1.2.3.7", i + 1, 5.0 * i, hu, 64)));
      }
      assertTrue(series.get(0).length < 20_000 && 8L * series.get(0).length > 20_000);
      java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
      for (byte[] f : series) {
        whole.writeBytes(("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.dcm\"\r\n\r\n").getBytes());
        whole.writeBytes(f);
        whole.writeBytes("\r\n".getBytes());
      }
      whole.writeBytes("--b--\r\n".getBytes());
      assertEquals(413, post(uri, "api/models/tiny/scan", whole.toByteArray(), "multipart/form-data; boundary=b")
          .statusCode(), "the series in one request is over the body limit");

      String upload = JSON.readTree(post(uri, "api/scans", null, null).body()).path("upload").asText();
      for (int i = 0; i < series.size(); i++) {
        HttpResponse<String> r = post(uri, "api/scans/" + upload + "/files?name=series/" + i + ".dcm", series.get(i),
            "application/dicom");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(i + 1, JSON.readTree(r.body()).path("files").asInt());
      }
      HttpResponse<String> tooBig = post(uri, "api/scans/" + upload + "/files?name=big.dcm", new byte[30_000],
          "application/dicom");
      assertEquals(413, tooBig.statusCode(), "one file over the body limit is refused alone: " + tooBig.body());
      assertEquals(200, post(uri, "api/scans/" + upload + "/files?name=notes.txt", "not an image".getBytes(),
          "text/plain").statusCode());
      HttpResponse<String> scored = post(uri, "api/models/tiny/scan?upload=" + upload, null, null);
      assertEquals(200, scored.statusCode(), scored.body());
      JsonNode scan = JSON.readTree(scored.body()).path("scans").path(0);
      assertEquals(8, scan.path("slices").asInt(), scored.body());
      assertTrue(JSON.readTree(scored.body()).path("skipped").toString().contains("notes.txt"), scored.body());
      HttpResponse<String> again = post(uri, "api/models/tiny/scan?upload=" + upload, null, null);
      assertEquals(404, again.statusCode(), "a scored upload is removed: " + again.body());
      assertEquals(404, post(uri, "api/scans/not-an-upload/files?name=a", new byte[10], "application/dicom")
          .statusCode());
    }
  }
}
