package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.ctnet.graph.testing.SyntheticImages;
import org.junit.jupiter.api.Test;

/**
 * Permissions removed under a serving server: a new version whose files the server may not read is
 * not served, its status says why, the version before it keeps answering; once the files are readable
 * again the version loads. Root reads every file whatever its mode, so as root (CI) the server runs as
 * {@code nobody} through {@code setpriv}, with its class path and models in a folder nobody may read.
 */
class PermissionsDrillTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String READABLE_DIR = "rwxr-xr-x";
  private static final String READABLE_FILE = "rw-r--r--";

  @Test
  void aVersionTheServerMayNotReadIsReportedAndTheOneBeforeKeepsServing() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    List<String> prefix = new ArrayList<>();
    if (root) {
      if (!Files.isExecutable(Path.of("/usr/bin/setpriv"))) {
        fail("running as root, this test needs setpriv to serve as nobody: apt-get install util-linux");
      }
      prefix.addAll(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
    }
    Path shared = Files.createTempDirectory("ctnet-permissions");
    try {
      Path models = TestServers.exportTiny(shared.resolve("models"), "tiny", 1, 3);
      String classPath = shareableClassPath(shared.resolve("classpath"));
      Files.createDirectories(shared.resolve("home"));
      Files.createDirectories(shared.resolve("tmp"));
      openUp(shared);
      Files.setPosixFilePermissions(shared.resolve("home"), PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.setPosixFilePermissions(shared.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
      try (ServerProcess server = ServerProcess.start(prefix, classPath,
          Map.of("HOME", shared.resolve("home").toString()),
          List.of("-Djava.io.tmpdir=" + shared.resolve("tmp"),
              "-Dorg.bytedeco.javacpp.cachedir=" + shared.resolve("home/javacpp")),
          List.of("--model-base-path", models.toString(), "--poll-seconds", "0.5"))) {
        assertTrue(server.port() > 0, "the server started" + (root ? " as nobody" : "") + ":\n" + server.log());
        URI uri = URI.create("http://127.0.0.1:" + server.port());
        assertEquals(1, servedVersion(uri));

        // Version 2 arrives with its variables unreadable (a copy made by another user with a tight umask).
        Path v2 = models.resolve("tiny/2");
        copyTree(models.resolve("tiny/1"), v2);
        openUp(v2);
        Path variables = v2.resolve("variables");
        Files.setPosixFilePermissions(variables, PosixFilePermissions.fromString("rwx------"));
        JsonNode v2Status = waitForState(uri, 2, "END");
        assertTrue(v2Status.path("status").path("error_message").asText().contains("failed to load"), v2Status.toString());
        for (int i = 0; i < 5; i++) {
          assertEquals(1, servedVersion(uri), "the readable version keeps answering");
        }
        assertTrue(server.log().toString().contains("failed to load tiny version 2"), server.log().toString());

        // Readable again: the version loads on a later poll and serves.
        Files.setPosixFilePermissions(variables, PosixFilePermissions.fromString(READABLE_DIR));
        waitForState(uri, 2, "AVAILABLE");
        assertEquals(2, servedVersion(uri));
      }
    } finally {
      deleteTree(shared);
    }
  }

  /** Which version answers a prediction (from the response's model spec, via a KServe infer). */
  private static long servedVersion(URI uri) throws Exception {
    float[] pixels = SyntheticImages.blobs(1, 32, 4).pixels();
    StringBuilder data = new StringBuilder();
    for (float v : pixels) {
      data.append(data.length() == 0 ? "" : ",").append(v);
    }
    HttpResponse<String> r = TestServers.post(uri, "/v2/models/tiny/infer", "{\"inputs\":[{\"name\":\"images\","
        + "\"datatype\":\"FP32\",\"shape\":[1,32,32,1],\"data\":[" + data + "]}]}");
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body()).path("model_version").asLong();
  }

  private static JsonNode waitForState(URI uri, long version, String state) throws Exception {
    JsonNode last = null;
    for (int i = 0; i < 120; i++) {
      HttpResponse<String> r = TestServers.get(uri, "/v1/models/tiny");
      for (JsonNode s : JSON.readTree(r.body()).path("model_version_status")) {
        if (s.path("version").asLong() == version) {
          last = s;
          if (s.path("state").asText().equals(state)) {
            return s;
          }
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError("version " + version + " never reached " + state + "; last status " + last);
  }

  /** The test's class path, linked (or copied) into a folder every user may read. */
  private static String shareableClassPath(Path target) throws IOException {
    Files.createDirectories(target);
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path from = Path.of(entry);
      if (!Files.exists(from)) {
        continue;
      }
      Path to = target.resolve((n++) + "-" + from.getFileName());
      if (Files.isDirectory(from)) {
        copyTree(from, to);
      } else {
        try {
          Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException e) {
          Files.copy(from, to);
        }
      }
      entries.add(to.toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p); // links only: a hard-linked jar's other name is untouched
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /** Every folder listable and every file readable by all (temporary folders are private by default). */
  private static void openUp(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (Files.isSymbolicLink(p)) {
          continue;
        }
        boolean dir = Files.isDirectory(p);
        if (!dir && Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
          continue; // already readable: a hard-linked jar keeps its mode untouched
        }
        try {
          Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(dir ? READABLE_DIR : READABLE_FILE));
        } catch (java.nio.file.FileSystemException e) {
          // a hard-linked jar owned elsewhere keeps its own (readable) mode
        }
      }
    }
  }
}
