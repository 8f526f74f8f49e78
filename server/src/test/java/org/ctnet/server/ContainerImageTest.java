package org.ctnet.server;

import org.ctnet.server.http.RestPaths;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.ctnet.graph.testing.DeployFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The container image's JVM flags (the Jib configuration of the parent pom's "container" profile) do
 * what the image relies on, checked without a container engine: with TensorFlow's native libraries
 * unpacked in a folder (the image's /opt/ctnet/native) and nothing writable — no home, no temp, no
 * JavaCPP cache, as on a read-only root filesystem — the server starts and serves. Without those flags
 * the same process cannot start (JavaCPP needs somewhere to extract 680 MB), so the test can fail.
 */
class ContainerImageTest {
  @TempDir Path dir;

  private static final String IMAGE_NATIVE_DIR = "/opt/ctnet/native";
  private static final String NOWHERE = "/proc/ctnet-nowhere";

  /** The jvmFlags of the Jib configuration, as written in the parent pom. */
  static List<String> imageJvmFlags() throws Exception {
    var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(DeployFiles.root().resolve("pom.xml").toFile());
    NodeList plugins = doc.getElementsByTagName("plugin");
    for (int i = 0; i < plugins.getLength(); i++) {
      Element plugin = (Element) plugins.item(i);
      if (plugin.getElementsByTagName("artifactId").item(0).getTextContent().equals("jib-maven-plugin")) {
        NodeList flags = plugin.getElementsByTagName("jvmFlag");
        List<String> out = new ArrayList<>();
        for (int j = 0; j < flags.getLength(); j++) {
          out.add(flags.item(j).getTextContent().strip());
        }
        return out;
      }
    }
    throw new AssertionError("no jib-maven-plugin in the parent pom");
  }

  /** Where this JVM's JavaCPP unpacked TensorFlow (the image has the same files at /opt/ctnet/native). */
  private static Path unpackedNatives() throws IOException {
    org.tensorflow.TensorFlow.version(); // loads (and unpacks) the natives in this JVM
    try (Stream<Path> walk = Files.walk(org.bytedeco.javacpp.Loader.getCacheDir().toPath())) {
      return walk.filter(p -> p.getFileName().toString().equals("libjnitensorflow.so")).findFirst()
          .orElseThrow(() -> new AssertionError("TensorFlow's JNI library not in JavaCPP's cache")).getParent();
    }
  }

  @Test
  void theImagesJvmFlagsLoadTensorFlowFromUnpackedLibrariesWithNothingWritable() throws Exception {
    Path natives = unpackedNatives();
    Path models = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 1);
    List<String> flags = new ArrayList<>();
    for (String flag : imageJvmFlags()) {
      // Heap sizing from the container limit and pre-touching it are for the pod; a test JVM keeps 512 MB.
      if (!flag.contains("RAMPercentage") && !flag.contains("AlwaysPreTouch")) {
        flags.add(flag.replace(IMAGE_NATIVE_DIR, natives.toString()));
      }
    }
    assertTrue(flags.contains("-Djava.library.path=" + natives), "the image loads natives from " + IMAGE_NATIVE_DIR + ": " + flags);

    List<String> args = List.of("--model-base-path", models.toString(), "--poll-seconds", "0");
    List<String> nothingWritable = List.of("-Duser.home=" + NOWHERE, "-Djava.io.tmpdir=" + NOWHERE,
        "-Dorg.bytedeco.javacpp.cachedir=" + NOWHERE);
    try (ServerProcess image = ServerProcess.start(concat(flags, nothingWritable), args)) {
      assertTrue(image.port() > 0, "the server starts with the image's flags and nothing writable:\n" + image.log());
      URI uri = URI.create("http://127.0.0.1:" + image.port());
      assertEquals(200, TestServers.get(uri, RestPaths.HEALTH_READY).statusCode());
      String row = "[" + "[0.5],".repeat(31) + "[0.5]]";
      String image32 = "[" + (row + ",").repeat(31) + row + "]";
      var predicted = TestServers.post(uri, "/v1/models/tiny:predict", "{\"instances\":[" + image32 + "]}");
      assertEquals(200, predicted.statusCode(), predicted.body());
      // Uploaded images decode without temp files too (ImageIO's cache is off).
      var png = TestServers.postBytes(uri, RestPaths.IMAGE_API + "/tiny/" + RestPaths.IMAGE_CLASSIFY,
          org.ctnet.graph.testing.SyntheticImages.png(new float[32 * 32], 32, 32), "image/png");
      assertEquals(200, png.statusCode(), png.body());
    }

    List<String> without = flags.stream()
        .filter(f -> !f.startsWith("-Djava.library.path") && !f.startsWith("-Dorg.bytedeco.javacpp.pathsFirst")).toList();
    try (ServerProcess plain = ServerProcess.start(concat(without, nothingWritable), args)) {
      // Either the process fails outright or it starts without a loadable model: never ready.
      if (plain.port() > 0) {
        assertEquals(503, TestServers.get(URI.create("http://127.0.0.1:" + plain.port()), RestPaths.HEALTH_READY)
            .statusCode(), "without the flags JavaCPP must extract and cannot: the check can fail");
      } else {
        assertTrue(plain.process().waitFor(30, TimeUnit.SECONDS) && plain.process().exitValue() != 0, plain.log().toString());
      }
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
