package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.ctnet.dicom.DicomReader;
import org.ctnet.dicom.Tag;
import org.ctnet.dicom.testing.DicomTools;
import org.ctnet.dicom.testing.OrthancServer;
import org.ctnet.dicom.testing.SyntheticCt;
import org.ctnet.dicom.web.DicomJson;
import org.ctnet.dicom.web.Multipart;
import org.ctnet.dicom.write.Uids;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.config.PacsSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STOW-RS over real HTTP with a real Orthanc on both sides: Orthanc forwards a study with its own
 * DICOMweb client, the server answers it into Orthanc; bad instances fail alone; a restart loses no
 * spooled instance; no patient identifier reaches a log line or the metrics.
 */
class StowApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SyntheticCt.Patient PATIENT = new SyntheticCt.Patient("Qzvfamily^Jxkgiven", "QZV-ID-70431",
      "19580923", "QZV-ACC-2210");
  private final HttpClient http = HttpClient.newHttpClient();
  @TempDir Path dir;

  private static int freePort() throws Exception {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private ServerApp server(Path base, int port, URI pacs, Path spool, long quietMillis) {
    ServerApp app = new ServerApp(ServerSettings.defaults(base).withPort(port).withHost("127.0.0.1").withPolling(0),
        PacsSettings.defaults().withDestination(pacs, spool, quietMillis).withModel("tiny"));
    app.start();
    return app;
  }

  /** Every log record while the test runs, formatted as a log handler would write it. */
  static final class Captured extends Handler {
    final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void publish(LogRecord r) {
      lines.add(r.getLoggerName() + " " + new java.util.logging.SimpleFormatter().formatMessage(r)
          + (r.getThrown() == null ? "" : " " + r.getThrown()));
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  @Test
  void orthancForwardsAStudyAndGetsItsResultsBackWithoutIdentifiersInLogs() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 4);
    int port = freePort();
    Captured logs = new Captured();
    Logger root = Logger.getLogger("");
    root.addHandler(logs);
    // The routing script docs/pacs.md gives users: Orthanc forwards the stable CT study by itself.
    Path route = org.ctnet.graph.testing.DeployFiles.root().resolve("deploy/orthanc/ctnet-route.lua");
    try (OrthancServer pacs = OrthancServer.start(dir.resolve("orthanc"),
        Map.of("ctnet", "http://127.0.0.1:" + port + "/dicomweb/"), List.of(route));
        ServerApp app = server(base, port, pacs.dicomWeb(), dir.resolve("spool"), 300)) {
      Uids uids = new Uids(Uids.UUID_ROOT);
      String study = uids.next();
      for (byte[] slice : SyntheticCt.series(PATIENT, study, uids.next(), 10, 64)) {
        pacs.upload(slice);
      }
      List<byte[]> reports = waitForReports(pacs, study);
      assertEquals(1, reports.size());
      Thread.sleep(4000); // the results made the study unstable again: it settles and is not sent twice
      assertEquals(1, pacs.instancesOf(study, "SR").size(), "answered once");
      DicomTools.assertValid(dir, "sr.dcm", reports.get(0));
      assertEquals("QZV-ID-70431", DicomReader.header(reports.get(0)).context().text(Tag.PATIENT_ID));
      for (byte[] capture : pacs.instancesOf(study, "OT")) {
        DicomTools.assertValid(dir, "sc.dcm", capture);
      }
      JsonNode answered = get(port, "/api/pacs/studies");
      assertEquals(study, answered.path("answered").path(0).path("study_instance_uid").asText(), answered.toString());
      String metrics = new String(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .build(), HttpResponse.BodyHandlers.ofByteArray()).body(), StandardCharsets.UTF_8);
      List<String> identifiers = List.of("Qzvfamily", "Jxkgiven", "QZV-ID", "QZV-ACC", "19580923");
      assertTrue(logs.lines.stream().anyMatch(l -> l.contains("study " + study + " answered")), logs.lines.toString());
      for (String id : identifiers) {
        assertFalse(metrics.contains(id), "identifier " + id + " on the metrics page");
        for (String line : logs.lines) {
          assertFalse(line.contains(id), "identifier " + id + " in a log line: " + line);
        }
      }
    } finally {
      root.removeHandler(logs);
    }
  }

  @Test
  void badInstancesFailAloneAndARestartLosesNothing() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 4);
    try (OrthancServer pacs = OrthancServer.start(dir.resolve("orthanc"), Map.of())) {
      Uids uids = new Uids(Uids.UUID_ROOT);
      String study = uids.next();
      List<byte[]> slices = SyntheticCt.series(PATIENT, study, uids.next(), 8, 64);
      int port = freePort();
      try (ServerApp first = server(base, port, pacs.dicomWeb(), dir.resolve("spool"), 3_600_000)) {
        List<byte[]> body = new ArrayList<>(slices);
        body.add("this is not DICOM".getBytes());
        HttpResponse<byte[]> r = stow(port, "/dicomweb/studies/" + study, Multipart.dicom(body));
        assertEquals(202, r.statusCode(), new String(r.body()));
        JsonNode answer = JSON.readTree(r.body());
        assertEquals(8, answer.path(DicomJson.tag(Tag.REFERENCED_SOP_SEQUENCE)).path("Value").size());
        JsonNode failed = answer.path(DicomJson.tag(Tag.FAILED_SOP_SEQUENCE)).path("Value");
        assertEquals(1, failed.size());
        assertEquals(0xC000, failed.path(0).path(DicomJson.tag(Tag.FAILURE_REASON)).path("Value").path(0).asInt());
        HttpResponse<byte[]> other = stow(port, "/dicomweb/studies/" + uids.next(), Multipart.dicom(slices.subList(0, 1)));
        assertEquals(409, other.statusCode(), "an instance of another study than the path names");
        HttpResponse<byte[]> notMultipart = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/dicomweb/studies")).header("Content-Type", "application/dicom")
            .POST(HttpRequest.BodyPublishers.ofByteArray(slices.get(0))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(400, notMultipart.statusCode());
        assertTrue(new String(notMultipart.body()).contains("multipart/related"), new String(notMultipart.body()));
        assertEquals(1, get(port, "/api/pacs/studies").path("pending_studies").asInt());
      }
      // The first server stopped before the study was quiet: the next one finds it in the spool and answers it.
      try (ServerApp second = server(base, freePort(), pacs.dicomWeb(), dir.resolve("spool"), 200)) {
        List<byte[]> reports = waitForReports(pacs, study);
        assertEquals(1, reports.size());
        String dump = DicomTools.dsrdump(DicomTools.assertValid(dir, "sr.dcm", reports.get(0))).output();
        assertTrue(dump.contains("8 slices"), "all 8 spooled slices were scored:\n" + dump);
      }
    }
  }

  private HttpResponse<byte[]> stow(int port, String path, Multipart.Body body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Content-Type", body.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private JsonNode get(int port, String path) throws Exception {
    return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray()).body());
  }

  private static List<byte[]> waitForReports(OrthancServer pacs, String study) throws Exception {
    long deadline = System.nanoTime() + 90_000_000_000L;
    while (System.nanoTime() < deadline) {
      List<byte[]> reports = pacs.instancesOf(study, "SR");
      if (!reports.isEmpty()) {
        Thread.sleep(500); // the captures are stored in the same answer, just after
        return pacs.instancesOf(study, "SR");
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no report stored into the study within 90 s:\n" + pacs.log());
  }
}
