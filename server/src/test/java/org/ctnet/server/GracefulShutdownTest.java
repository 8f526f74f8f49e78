package org.ctnet.server;

import org.ctnet.server.http.RestPaths;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
    try (ServerProcess started = ServerProcess.start(List.of(), List.of("--model-base-path", base.toString(),
        "--poll-seconds", "0", "--drain-delay-millis", Long.toString(DRAIN_MILLIS)))) {
      Process server = started.process();
      StringBuffer log = started.log();
      int port = started.port();
      assertTrue(port > 0, "the server starts:\n" + log);
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
    }
  }
}
