package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.grpc.KServeGrpc;
import org.ctnet.server.grpc.proto.kserve.ServerLiveRequest;
import org.ctnet.server.config.PacsSettings;
import org.ctnet.server.security.TlsSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mutual TLS over real sockets on both ports, with certificates made by openssl: a client
 * trusting the CA gets in, one that does not is refused; under mTLS a missing, foreign or
 * not-allowed client certificate is refused; a rotated certificate reaches new connections while an
 * open one keeps working; plain HTTP to the TLS port fails at once instead of hanging.
 */
class TlsTest {
  @TempDir Path dir;

  /** openssl, as the test's certificate authority. */
  private void openssl(String... args) throws Exception {
    if (org.ctnet.dicom.testing.DicomTools.find("openssl") == null) {
      fail("openssl is not installed: apt-get install -y openssl");
    }
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      fail("openssl " + String.join(" ", args) + " failed:\n" + out);
    }
  }

  private void ca(String name) throws Exception {
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=" + name, "-keyout", name + ".key", "-out", name + ".pem");
  }

  /** A certificate for {@code cn} signed by {@code ca}, with {@code san} (e.g. IP:127.0.0.1). */
  private void cert(String name, String cn, String ca, String san) throws Exception {
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + cn,
        "-keyout", name + ".key", "-out", name + ".csr");
    Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=" + san + "\n");
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
        "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem");
  }

  private X509Certificate read(String pem) throws Exception {
    try (InputStream in = Files.newInputStream(dir.resolve(pem))) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  /** A client context trusting {@code caPem} and, when given, presenting {@code client}'s certificate. */
  private SSLContext client(String caPem, String client) throws Exception {
    return org.ctnet.server.security.TlsMaterial.clientContext(dir.resolve(caPem),
        client == null ? null : dir.resolve(client + ".pem"), client == null ? null : dir.resolve(client + ".key"));
  }

  private static int get(SSLContext context, int port, String path) throws Exception {
    HttpClient http = HttpClient.newBuilder().sslContext(context).connectTimeout(java.time.Duration.ofSeconds(5))
        .build();
    return http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private boolean grpcLive(int port, String caPem, String client) throws Exception {
    var ssl = GrpcSslContexts.forClient().trustManager(dir.resolve(caPem).toFile());
    if (client != null) {
      ssl.keyManager(dir.resolve(client + ".pem").toFile(), dir.resolve(client + ".key").toFile());
    }
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(ssl.build()).build();
    try {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(channel, KServeGrpc.SERVER_LIVE,
          io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), ServerLiveRequest.getDefaultInstance())
          .getLive();
    } catch (StatusRuntimeException e) {
      return false;
    } finally {
      channel.shutdownNow();
    }
  }

  private ServerApp start(Path base, TlsSettings tls) {
    ServerApp app = new ServerApp(ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withGrpcPort(0), PacsSettings.defaults(), tls);
    return app;
  }

  @Test
  void tlsOnBothPortsRotationWithoutRestartAndPlainHttpRefusedAtOnce() throws Exception {
    ca("ca");
    ca("other-ca");
    cert("server", "ctnet-server", "ca", "IP:127.0.0.1,DNS:localhost");
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 4);
    try (ServerApp app = start(base, new TlsSettings(dir.resolve("server.pem"), dir.resolve("server.key"), null,
        List.of()))) {
      int port = app.start().port();
      assertEquals(200, get(client("ca.pem", null), port, "/health/live"));
      assertEquals(200, get(client("ca.pem", null), port, "/v1/models/tiny"));
      assertThrows(javax.net.ssl.SSLHandshakeException.class, () -> get(client("other-ca.pem", null), port, "/"),
          "a client that does not trust the server's CA is refused");
      assertTrue(grpcLive(app.grpcPort(), "ca.pem", null), "gRPC over TLS");
      assertTrue(!grpcLive(app.grpcPort(), "other-ca.pem", null), "gRPC refuses a client without the CA");

      // Plain HTTP to the TLS port: a clean, prompt failure (the connection closes), not a hang.
      try (Socket plain = new Socket()) {
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        plain.setSoTimeout(5000);
        OutputStream out = plain.getOutputStream();
        out.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        long start = System.nanoTime();
        byte[] answer = plain.getInputStream().readAllBytes(); // EOF, or a TLS alert then EOF
        assertTrue(System.nanoTime() - start < 5_000_000_000L, "closed within 5 s");
        assertTrue(!new String(answer, StandardCharsets.ISO_8859_1).contains("200 OK"), "no plaintext answer");
      }

      // An open connection, then the certificate rotated under it.
      SSLSocket old = (SSLSocket) client("ca.pem", null).getSocketFactory().createSocket("127.0.0.1", port);
      old.startHandshake();
      var firstSerial = ((X509Certificate) old.getSession().getPeerCertificates()[0]).getSerialNumber();
      cert("server2", "ctnet-server-rotated", "ca", "IP:127.0.0.1");
      // Half a rotation: the new key beside the old certificate. Handshakes keep the old pair meanwhile.
      Files.copy(dir.resolve("server2.key"), dir.resolve("server.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Thread.sleep(1500);
      for (int i = 0; i < 2; i++) {
        assertEquals(200, get(client("ca.pem", null), port, "/health/live"), "mid-rotation handshake " + i);
      }
      Files.copy(dir.resolve("server2.pem"), dir.resolve("server.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Thread.sleep(1500); // the files are checked at most once a second
      SSLSocket fresh = (SSLSocket) client("ca.pem", null).getSocketFactory().createSocket("127.0.0.1", port);
      fresh.startHandshake(); // this handshake notices the change; the next one serves the new certificate
      fresh.close();
      Thread.sleep(50);
      SSLSocket rotated = (SSLSocket) client("ca.pem", null).getSocketFactory().createSocket("127.0.0.1", port);
      rotated.startHandshake();
      var newSerial = ((X509Certificate) rotated.getSession().getPeerCertificates()[0]).getSerialNumber();
      assertEquals(read("server2.pem").getSerialNumber(), newSerial, "new connections get the rotated certificate");
      assertTrue(!newSerial.equals(firstSerial));
      rotated.close();
      old.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      old.setSoTimeout(10_000);
      String answer = new java.io.BufferedReader(new java.io.InputStreamReader(old.getInputStream(),
          StandardCharsets.ISO_8859_1)).readLine(); // the status line (TLS keeps the socket open after it)
      assertTrue(answer.startsWith("HTTP/1.1 200"), "the connection opened before the rotation still works: " + answer);
      old.close();
    }
  }

  @Test
  void mutualTlsTakesOnlyKnownAllowedClients() throws Exception {
    ca("ca");
    ca("other-ca");
    cert("server", "ctnet-server", "ca", "IP:127.0.0.1");
    cert("clinic-a", "clinic-a", "ca", "DNS:clinic-a.hospital.example");
    cert("clinic-b", "clinic-b", "ca", "DNS:clinic-b.hospital.example");
    cert("intruder", "clinic-a", "other-ca", "DNS:clinic-a.hospital.example");
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 4);
    try (ServerApp app = start(base, new TlsSettings(dir.resolve("server.pem"), dir.resolve("server.key"),
        dir.resolve("ca.pem"), List.of("clinic-a.hospital.example")))) {
      int port = app.start().port();
      assertEquals(200, get(client("ca.pem", "clinic-a"), port, "/v1/models/tiny"));
      assertTrue(grpcLive(app.grpcPort(), "ca.pem", "clinic-a"), "an allowed client over gRPC");
      for (String refused : new String[] {null, "intruder", "clinic-b"}) {
        String who = refused == null ? "no client certificate" : refused;
        assertThrows(java.io.IOException.class, () -> get(client("ca.pem", refused), port, "/health/live"), who);
        assertTrue(!grpcLive(app.grpcPort(), "ca.pem", refused), who + " over gRPC");
      }
    }
  }
}
