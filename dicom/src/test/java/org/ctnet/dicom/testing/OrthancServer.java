package org.ctnet.dicom.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Orthanc (Debian's {@code orthanc} and {@code orthanc-dicomweb}) on free loopback ports with
 * a configuration written here, its storage in a temporary folder. Missing packages fail the test with
 * how to install them ({@code .ci/run} installs them).
 */
public final class OrthancServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> PLUGIN_DIRS = List.of("/usr/share/orthanc/plugins", "/usr/lib/orthanc/plugins");

  private final Process process;
  private final int httpPort;
  private final Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  /**
   * Starts Orthanc; {@code dicomWebServers} names DICOMweb peers (name → root URL) Orthanc may send
   * studies to with its own STOW-RS client.
   */
  public static OrthancServer start(Path dir, Map<String, String> dicomWebServers) throws IOException {
    return start(dir, dicomWebServers, List.of());
  }

  /** As {@link #start(Path, Map)}, running these Lua scripts (e.g. auto-routing on stable studies). */
  public static OrthancServer start(Path dir, Map<String, String> dicomWebServers, List<Path> luaScripts)
      throws IOException {
    Path binary = DicomTools.find("Orthanc");
    if (binary == null) {
      fail("Orthanc is not installed: apt-get install -y orthanc orthanc-dicomweb (.ci/run installs it)");
    }
    Path plugin = PLUGIN_DIRS.stream().map(d -> Path.of(d, "libOrthancDicomWeb.so")).filter(Files::exists)
        .findFirst().orElse(null);
    if (plugin == null) {
      fail("Orthanc's DICOMweb plugin is not installed: apt-get install -y orthanc-dicomweb (.ci/run installs it)");
    }
    return new OrthancServer(binary, plugin, dir, dicomWebServers, luaScripts);
  }

  private OrthancServer(Path binary, Path plugin, Path dir, Map<String, String> servers, List<Path> luaScripts)
      throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    this.httpPort = freePort();
    ObjectNode config = JSON.createObjectNode();
    config.put("Name", "ctnet-test-pacs");
    config.put("StorageDirectory", dir.resolve("storage").toString());
    config.put("IndexDirectory", dir.resolve("storage").toString());
    config.put("HttpPort", httpPort);
    config.put("DicomPort", freePort());
    config.put("RemoteAccessAllowed", false);
    config.put("AuthenticationEnabled", false);
    config.put("HttpBindAddress", "127.0.0.1");
    config.put("DicomServerEnabled", false);
    config.put("StableAge", 1);
    config.putArray("Plugins").add(plugin.toString());
    var lua = config.putArray("LuaScripts");
    luaScripts.forEach(l -> lua.add(l.toAbsolutePath().toString()));
    ObjectNode web = config.putObject("DicomWeb");
    web.put("Enable", true);
    web.put("Root", "/dicom-web/");
    ObjectNode peers = web.putObject("Servers");
    servers.forEach((name, url) -> peers.putArray(name).add(url));
    Path file = dir.resolve("orthanc.json");
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
    process = new ProcessBuilder(binary.toString(), file.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("orthanc.log").toFile()).start();
    waitUntilUp();
  }

  private void waitUntilUp() throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        fail("Orthanc exited at start:\n" + Files.readString(dir.resolve("orthanc.log")));
      }
      try {
        if (http.send(HttpRequest.newBuilder(uri("/system")).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    fail("Orthanc did not answer within 30 s:\n" + Files.readString(dir.resolve("orthanc.log")));
  }

  /** Orthanc's DICOMweb root. */
  public URI dicomWeb() {
    return uri("/dicom-web");
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + httpPort + path);
  }

  /** Stores one instance through Orthanc's own REST API (as a modality would): its Orthanc id. */
  public String upload(byte[] dicom) throws IOException {
    JsonNode answer = post("/instances", dicom, "application/dicom");
    return answer.path("ParentStudy").asText();
  }

  public JsonNode get(String path) throws IOException {
    try {
      return getOnce(path);
    } catch (IOException e) {
      return getOnce(path);
    }
  }

  private JsonNode getOnce(String path) throws IOException {
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri(path)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new IOException("Orthanc GET " + path + ": HTTP " + r.statusCode());
      }
      return JSON.readTree(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  public byte[] getBytes(String path) throws IOException {
    try {
      return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  public JsonNode post(String path, byte[] body, String type) throws IOException {
    // Orthanc may close a kept-alive connection as the client reuses it: one retry on a fresh one.
    try {
      return postOnce(path, body, type);
    } catch (IOException e) {
      return postOnce(path, body, type);
    }
  }

  private JsonNode postOnce(String path, byte[] body, String type) throws IOException {
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", type)
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new IOException("Orthanc POST " + path + ": HTTP " + r.statusCode() + " " + new String(r.body()));
      }
      return JSON.readTree(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** The instances (DICOM files) of a study's series whose Modality is {@code modality}. */
  public List<byte[]> instancesOf(String studyInstanceUid, String modality) throws IOException {
    List<byte[]> out = new ArrayList<>();
    for (JsonNode study : get("/studies?expand")) {
      if (!studyInstanceUid.equals(study.path("MainDicomTags").path("StudyInstanceUID").asText())) {
        continue;
      }
      for (JsonNode seriesId : study.path("Series")) {
        JsonNode series = get("/series/" + seriesId.asText());
        if (modality.equals(series.path("MainDicomTags").path("Modality").asText())) {
          for (JsonNode instance : series.path("Instances")) {
            out.add(getBytes("/instances/" + instance.asText() + "/file"));
          }
        }
      }
    }
    return out;
  }

  public String log() throws IOException {
    return Files.readString(dir.resolve("orthanc.log"));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
