package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a rolling update in Kubernetes relies on: the server process gets SIGTERM while a request is
 * half uploaded; readiness turns 503 at once while other routes keep answering for the drain delay;
 * the half-uploaded request is completed and answered 200; then the process exits and the port
 * closes.
 */
class GracefulShutdownTest {
  @TempDir Path dir;

  private static final long DRAIN_MILLIS = 1500;

  private static String image() {
    StringBuilder row = new StringBuilder("[");
    for (int x = 0; x < 32; x++) {
      row.append(x > 0 ? "," : "").append("[0.5]");
    }
    row.append("]");
    StringBuilder img = new StringBuilder("{\"instances\":[[");
    for (int y = 0; y < 32; y++) {
      img.append(y > 0 ? "," : "").append(row);
    }
    return img.append("]]}").toString();
  }

  private static Process serve(Path base) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED"));
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), "org.ctnet.server.Main",
        "--model-base-path", base.toString(), "--port", "0", "--host", "127.0.0.1", "--poll-seconds", "0",
        "--drain-delay-millis", Long.toString(DRAIN_MILLIS)));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    return pb.start();
  }

  /** Reads the process's output until the start line, returns the port; the rest is kept for messages. */
  private static int port(Process p, StringBuilder log) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Pattern started = Pattern.compile("CT-Net server on http://[^:]+:(\\d+)/");
    String line;
    while ((line = out.readLine()) != null) {
      log.append(line).append('\n');
      Matcher m = started.matcher(line);
      if (m.find()) {
        Thread drainer = new Thread(() -> out.lines().forEach(l -> log.append(l).append('\n')));
        drainer.setDaemon(true);
        drainer.start();
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError("server exited before it started:\n" + log);
  }

  /** One request on a new connection: the status code of the answer. */
  private static int status(int port, String path) throws IOException, InterruptedException {
    return TestServers.get(java.net.URI.create("http://127.0.0.1:" + port), path).statusCode();
  }

  /** One HTTP/1.1 response read by its Content-Length (the server may keep the connection open). */
  private static String response(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after " + head);
      }
      head.append((char) b);
    }
    Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    assertTrue(length.find(), head.toString());
    return head + new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8);
  }

  @Test
  void sigtermDrainsAHalfUploadedRequestThenExits() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 1);
    Process server = serve(base);
    StringBuilder log = new StringBuilder();
    try {
      int port = port(server, log);
      assertEquals(200, status(port, RestPaths.HEALTH_READY));

      byte[] body = image().getBytes(StandardCharsets.US_ASCII);
      try (Socket upload = new Socket("127.0.0.1", port)) {
        OutputStream out = upload.getOutputStream();
        out.write(("POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, body.length / 2);
        out.flush();
        Thread.sleep(200); // the request is routed and reading its body

        server.destroy(); // SIGTERM
        Thread.sleep(300);
        assertTrue(server.isAlive(), "the server must not exit with a request in flight:\n" + log);
        assertEquals(503, status(port, RestPaths.HEALTH_READY), "readiness while draining");
        assertEquals(503, status(port, RestPaths.KSERVE_READY), "KServe readiness while draining");
        assertEquals(200, status(port, RestPaths.HEALTH_LIVE), "other routes keep answering while draining");

        out.write(body, body.length / 2, body.length - body.length / 2);
        out.flush();
        String answer = response(upload.getInputStream());
        assertTrue(answer.startsWith("HTTP/1.1 200"), "the in-flight request is answered:\n" + answer);
        assertTrue(answer.contains("\"predictions\""), answer);
      }

      assertTrue(server.waitFor(DRAIN_MILLIS + 20_000, TimeUnit.MILLISECONDS), "the server exits after draining:\n" + log);
      assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "the port is closed");
    } finally {
      server.destroyForcibly();
    }
  }
}
