package org.ctnet.bench.server;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * One keep-alive HTTP/1.1 connection that POSTs a prebuilt request and reads the response by its
 * Content-Length. A load generator on the same two cores as the server must cost next to nothing:
 * the JDK HttpClient spent more CPU per 600 KB request than the server's parser did.
 */
final class LeanHttpClient implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  private byte[] body = new byte[8192];

  LeanHttpClient(URI base) throws IOException {
    this(base, null);
  }

  /** Over TLS when {@code tls} is given (the handshake happens here, once per client). */
  LeanHttpClient(URI base, javax.net.ssl.SSLContext tls) throws IOException {
    Socket plain = new Socket();
    plain.setTcpNoDelay(true);
    plain.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
    if (tls != null) {
      javax.net.ssl.SSLSocket secure = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(plain,
          base.getHost(), base.getPort(), true);
      secure.startHandshake();
      socket = secure;
    } else {
      socket = plain;
    }
    out = socket.getOutputStream();
    in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
  }

  /** The bytes of a POST of {@code body} to {@code path}, built once per benchmark point. */
  static byte[] post(URI base, String path, byte[] body) {
    byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] request = new byte[head.length + body.length];
    System.arraycopy(head, 0, request, 0, head.length);
    System.arraycopy(body, 0, request, head.length, body.length);
    return request;
  }

  /** Sends one request and returns the response status; the response body is read and dropped. */
  int exchange(byte[] request) throws IOException {
    out.write(request);
    out.flush();
    String status = line();
    if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
      throw new IOException("not an HTTP/1.1 response: " + status);
    }
    int code = Integer.parseInt(status.substring(9, 12));
    int length = -1;
    for (String header = line(); !header.isEmpty(); header = line()) {
      int colon = header.indexOf(':');
      if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
        length = Integer.parseInt(header.substring(colon + 1).trim());
      }
    }
    if (length < 0) {
      throw new IOException("response without Content-Length (status " + code + ")");
    }
    if (body.length < length) {
      body = new byte[length];
    }
    if (in.readNBytes(body, 0, length) != length) {
      throw new IOException("connection closed inside a response body");
    }
    return code;
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("connection closed by the server");
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
