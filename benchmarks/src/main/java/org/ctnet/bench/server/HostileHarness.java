package org.ctnet.bench.server;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Replays hostile requests against a running server: a fixed battery (lies about lengths and
 * chunking, broken request lines, hostile paths, out-of-range numbers, nested DICOM, bombs) and
 * random mutations of valid JSON, PNG, JPEG, DICOM and multipart bodies. After each request it
 * checks the answer is not a 5xx (503/504 with a reason are load shedding, counted apart) and, every
 * few requests, that {@code /v2/health/live} answers, timing it.
 *
 * <p>Over TLS ({@code https://} base and a CA file) every request is its own TLS connection: the
 * handshake, then the same bytes, then a TLS 1.3 half-close (close_notify) where plain TCP sends FIN.
 *
 * <pre>./dev java -cp benchmarks/target/benchmarks.jar org.ctnet.bench.server.HostileHarness http://localhost:8501 ctnet 10000
 *./dev java -cp benchmarks/target/benchmarks.jar org.ctnet.bench.server.HostileHarness https://127.0.0.1:8501 ctnet 10000 224 ca.pem</pre>
 */
public final class HostileHarness {
  /** What a run saw; {@link #clean()} is the pass criterion. */
  public record Report(int requests, Map<Integer, Integer> statuses, int serverErrors, int hangs, int connectionFailures,
      int cutOffClosed, double healthMaxMillis, double healthP99Millis, List<String> examples) {
    public boolean clean() {
      return serverErrors == 0 && hangs == 0 && healthMaxMillis < 1_000;
    }

    @Override
    public String toString() {
      return String.format("%d requests: statuses %s; 5xx (not 503/504) %d, hangs %d, connections closed without an "
          + "answer %d on whole requests and %d on requests the client cut off; /v2/health/live max %.1f ms, p99 %.1f ms%s",
          requests, statuses, serverErrors, hangs, connectionFailures, cutOffClosed, healthMaxMillis, healthP99Millis, examples.isEmpty() ? "" : "; e.g. " + examples);
    }
  }

  private static final int READ_TIMEOUT_MILLIS = 15_000;
  private final URI base;
  private final String model;
  private final int side;
  private final Random random;
  private final SSLContext tls;

  public HostileHarness(URI base, String model, int inputSide, long seed) {
    this(base, model, inputSide, seed, null);
  }

  /** {@code tls} null: plain HTTP; else each request opens a TLS connection with this client context. */
  public HostileHarness(URI base, String model, int inputSide, long seed, SSLContext tls) {
    if ("https".equals(base.getScheme()) != (tls != null)) {
      throw new IllegalArgumentException("an https:// base needs a TLS client context, and http:// none: " + base);
    }
    this.base = base;
    this.model = model;
    this.side = inputSide;
    this.random = new Random(seed);
    this.tls = tls;
  }

  public static void main(String[] args) throws Exception {
    URI base = URI.create(args.length > 0 ? args[0] : "http://localhost:8501");
    String model = args.length > 1 ? args[1] : "ctnet";
    int mutations = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    int side = args.length > 3 ? Integer.parseInt(args[3]) : 224;
    SSLContext tls = args.length > 4
        ? org.ctnet.server.security.TlsMaterial.clientContext(java.nio.file.Path.of(args[4]), null, null) : null;
    Report report = new HostileHarness(base, model, side, 1, tls).run(mutations);
    System.out.println(report);
    System.exit(report.clean() ? 0 : 1);
  }

  /** The battery, then {@code mutations} random mutations of valid requests. */
  public Report run(int mutations) throws IOException {
    List<byte[]> requests = new ArrayList<>(battery());
    List<byte[]> seeds = seeds();
    for (int i = 0; i < mutations; i++) {
      requests.add(mutate(seeds.get(random.nextInt(seeds.size()))));
    }
    Map<Integer, Integer> statuses = new TreeMap<>();
    List<Double> health = new ArrayList<>();
    List<String> examples = new ArrayList<>();
    int serverErrors = 0;
    int hangs = 0;
    int refused = 0;
    int cutOff = 0;
    for (int i = 0; i < requests.size(); i++) {
      byte[] request = requests.get(i);
      int status;
      try {
        status = send(request);
      } catch (SocketTimeoutException e) {
        hangs++;
        examples.add("hang on " + firstLine(request));
        continue;
      } catch (IOException e) {
        // the server may close a connection on garbage: fine, as long as it keeps answering others.
        // Over TLS the server closes (no 400) when close_notify arrives before the request is whole.
        if (whole(request)) {
          refused++;
          if (examples.size() < 5) {
            examples.add("closed without an answer: " + firstLine(request));
          }
        } else {
          cutOff++;
        }
        continue;
      }
      statuses.merge(status, 1, Integer::sum);
      if (status >= 500 && status != 503 && status != 504 || status < 100) {
        serverErrors++;
        if (examples.size() < 5) {
          examples.add(status + " on " + firstLine(request));
        }
      }
      if (i % 10 == 0) {
        long start = System.nanoTime();
        int live;
        try {
          live = send(("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          live = -1;
        }
        health.add((System.nanoTime() - start) / 1e6);
        if (live != 200) {
          serverErrors++;
          examples.add("health answered " + live + " after " + firstLine(request));
        }
      }
    }
    double[] sorted = health.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double max = sorted.length == 0 ? 0 : sorted[sorted.length - 1];
    double p99 = sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(0.99 * sorted.length) - 1)];
    return new Report(requests.size(), statuses, serverErrors, hangs, refused, cutOff, max, p99, examples);
  }

  /** Sends raw bytes on a fresh connection, half-closes, returns the status of the answer. */
  private int send(byte[] request) throws IOException {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        socket.shutdownOutput();
      } catch (IOException closedEarly) {
        // the server may answer (413, 400) and close before the whole request is written
      }
      InputStream in = socket.getInputStream();
      byte[] head = in.readNBytes(12);
      if (head.length < 12 || !new String(head, 0, 5, StandardCharsets.US_ASCII).equals("HTTP/")) {
        throw new IOException("no HTTP answer");
      }
      in.readAllBytes();
      return Integer.parseInt(new String(head, 9, 3, StandardCharsets.US_ASCII));
    }
  }

  private Socket connect() throws IOException {
    Socket plain = SocketFactory.getDefault().createSocket();
    try {
      plain.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
      plain.setSoTimeout(READ_TIMEOUT_MILLIS);
      if (tls == null) {
        return plain;
      }
      SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(plain, base.getHost(), base.getPort(), true);
      secure.setEnabledProtocols(new String[] {"TLSv1.3"}); // half-close needs 1.3
      secure.startHandshake();
      return secure;
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  /**
   * Whether the client sent a whole request before it half-closed: the head ends, and the body is as long
   * as its Content-Length or its chunks end. Lies in either direction count as cut off when short.
   */
  static boolean whole(byte[] request) {
    String text = new String(request, StandardCharsets.ISO_8859_1);
    int headEnd = text.indexOf("\r\n\r\n");
    if (headEnd < 0) {
      return false;
    }
    String head = text.substring(0, headEnd).toLowerCase(java.util.Locale.ROOT);
    int bodyLength = request.length - headEnd - 4;
    if (head.contains("transfer-encoding: chunked")) {
      return text.endsWith("\r\n0\r\n\r\n") || text.substring(headEnd + 4).equals("0\r\n\r\n");
    }
    java.util.regex.Matcher length = java.util.regex.Pattern.compile("content-length:\\s*(\\d{1,18})").matcher(head);
    return !length.find() || bodyLength >= Long.parseLong(length.group(1));
  }

  private static String firstLine(byte[] request) {
    String text = new String(request, 0, Math.min(request.length, 120), StandardCharsets.ISO_8859_1);
    int end = text.indexOf('\r');
    return (end >= 0 ? text.substring(0, end) : text).replaceAll("[^\\x20-\\x7e]", "?");
  }

  private byte[] post(String path, String contentType, byte[] body) {
    byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + contentType + "\r\nContent-Length: "
        + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    return concat(head, body);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Valid requests of every kind the server accepts; the mutations start from these. */
  private List<byte[]> seeds() throws IOException {
    byte[] png = image("png");
    byte[] jpeg = image("jpeg");
    byte[] dicom = dicom(64);
    StringBuilder pixels = new StringBuilder("{\"instances\":[[");
    for (int y = 0; y < side; y++) {
      pixels.append(y > 0 ? "," : "").append('[');
      for (int x = 0; x < side; x++) {
        pixels.append(x > 0 ? "," : "").append("[0.").append((x * 7 + y) % 10).append(']');
      }
      pixels.append(']');
    }
    pixels.append("]]}");
    String b64 = "{\"signature_name\":\"serving_bytes\",\"instances\":[{\"b64\":\"" + Base64.getEncoder().encodeToString(png) + "\"}]}";
    String kserve = "{\"inputs\":[{\"name\":\"image_bytes\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\""
        + Base64.getEncoder().encodeToString(jpeg) + "\"]}]}";
    String boundary = "ctnetboundary";
    byte[] multipart = concat(ascii("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
        + "Content-Type: image/png\r\n\r\n"), png, ascii("\r\n--" + boundary + "--\r\n"));
    return List.of(
        post("/v1/models/" + model + ":predict", "application/json", ascii(pixels.toString())),
        post("/v1/models/" + model + ":predict", "application/json", ascii(b64)),
        post("/v1/models/" + model + ":explain", "application/json", ascii(b64)),
        post("/v2/models/" + model + "/infer", "application/json", ascii(kserve)),
        post("/api/models/" + model + "/classify", "multipart/form-data; boundary=" + boundary, multipart),
        post("/api/models/" + model + "/explain?method=gradcam&grid=4", "image/png", png),
        post("/api/models/" + model + "/classify", "application/dicom", dicom));
  }

  private byte[] image(String format) throws IOException {
    BufferedImage img = new BufferedImage(48, 40, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 40; y++) {
      for (int x = 0; x < 48; x++) {
        img.getRaster().setSample(x, y, 0, (x * 5 + y * 3) & 0xff);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, format, out);
    return out.toByteArray();
  }

  /** A small CT slice (ScanBenchmark's writer): HU = value − 1024. */
  static byte[] dicom(int side) {
    short[] hu = new short[side * side];
    for (int i = 0; i < hu.length; i++) {
      hu[i] = (short) ((i * 37) % 2000 - 1024);
    }
    return ScanBenchmark.dicom(side, "1.2.826.0.1.3680043.9999.1", 1, 0, hu);
  }

  /** One random mutation of a valid request: bytes flipped, cut, repeated, or numbers and lengths lied about. */
  private byte[] mutate(byte[] seed) {
    byte[] m = seed.clone();
    int headEnd = indexOf(m, ascii("\r\n\r\n")) + 4;
    int kind = random.nextInt(8);
    switch (kind) {
      case 0 -> { // flip bytes in the body
        for (int i = 0, n = 1 + random.nextInt(20); i < n && m.length > headEnd; i++) {
          m[headEnd + random.nextInt(m.length - headEnd)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 1 -> m = Arrays.copyOf(m, headEnd + random.nextInt(Math.max(1, m.length - headEnd))); // truncated body
      case 2 -> { // a slice of the body repeated
        int from = headEnd + random.nextInt(Math.max(1, m.length - headEnd));
        int len = Math.min(m.length - from, 1 + random.nextInt(4096));
        m = concat(Arrays.copyOf(m, from), Arrays.copyOfRange(m, from, from + len), Arrays.copyOfRange(m, from, m.length));
      }
      case 3 -> m = replace(m, "Content-Length: ", "Content-Length: " + List.of("0", "-1", "99999999999", "33554432",
          "12abc", "1, 2").get(random.nextInt(6)) + "\r\nX-Old-Length: ");
      case 4 -> { // a JSON number replaced by something else
        String text = new String(m, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("0.", headEnd);
        if (at > 0) {
          String swap = List.of("1e39", "-1e400", "NaN", "\"x\"", "[[[[", "null", "99999999999999999999", "{}", "1e-50")
              .get(random.nextInt(9));
          m = fixLength(ascii(text.substring(0, at) + swap + text.substring(at + 3)));
        }
      }
      case 5 -> m = replace(m, "Content-Type: ", "Content-Type: " + List.of("multipart/form-data; boundary=",
          "multipart/form-data", "application/dicom", "text/plain", "image/png", "multipart/form-data; boundary=\"\"")
          .get(random.nextInt(6)) + "\r\nX-Old-Type: ");
      case 6 -> { // the body's image bytes garbled deeper (headers of embedded images)
        for (int i = 0; i < 64 && m.length > headEnd + 200; i++) {
          m[headEnd + 100 + random.nextInt(Math.min(400, m.length - headEnd - 100))] = (byte) random.nextInt(256);
        }
      }
      default -> { // request line mutated
        String line = List.of("G@T", "POST /v1/models/" + model + "\r\n", "POST /../../etc/passwd", "PUT", "POST /v1/models/",
            "POST /v2/models/%00/infer", "POST /v1/models/" + "a".repeat(300) + ":predict").get(random.nextInt(7));
        int space = indexOf(m, ascii(" HTTP/1.1"));
        m = concat(ascii(line), Arrays.copyOfRange(m, space, m.length));
      }
    }
    return m;
  }

  private static byte[] fixLength(byte[] request) {
    int headEnd = indexOf(request, ascii("\r\n\r\n")) + 4;
    String head = new String(request, 0, headEnd, StandardCharsets.ISO_8859_1)
        .replaceFirst("Content-Length: \\d+", "Content-Length: " + (request.length - headEnd));
    return concat(ascii(head), Arrays.copyOfRange(request, headEnd, request.length));
  }

  private static byte[] replace(byte[] request, String what, String with) {
    int at = indexOf(request, ascii(what));
    if (at < 0) {
      return request;
    }
    return concat(Arrays.copyOf(request, at), ascii(with), Arrays.copyOfRange(request, at + what.length(), request.length));
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** The fixed battery of the reliability issue, one request each. */
  private List<byte[]> battery() {
    List<byte[]> out = new ArrayList<>();
    for (String path : List.of("/v1/models", "/v2/models", "/api/models", "/v1/models/", "/v1/models/a%0d%0aX",
        "/v1/models/..%2f..%2fetc", "/v2/models/" + model + "/versions/99999999999999999999/infer")) {
      out.add(ascii("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      out.add(post(path, "application/json", ascii("{}")));
    }
    out.add(ascii("G@T / HTTP/1.1\r\nHost: x\r\n\r\n"));
    out.add(ascii("GET / HTTP/9.9\r\nHost: x\r\n\r\n"));
    out.add(ascii("GET /\r\n\r\n"));
    out.add(ascii("POST /v1/models/" + model + ":predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n"));
    out.add(ascii("POST /v1/models/" + model + ":predict HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
    ByteBuffer nested = ByteBuffer.allocate(10 + 16 * 50_000).order(ByteOrder.LITTLE_ENDIAN);
    nested.putShort((short) 0x0008).putShort((short) 0x0060).putInt(2).put(ascii("CT"));
    for (int i = 0; i < 50_000; i++) {
      nested.putShort((short) 0x0008).putShort((short) 0x1140).putInt(-1).putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(-1);
    }
    out.add(post("/api/models/" + model + "/classify", "application/dicom", nested.array()));
    byte[] huge = dicom(8);
    ByteBuffer patch = ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i + 10 <= huge.length; i++) { // Rows and Columns → 8192
      if (patch.getShort(i) == 0x0028 && (patch.getShort(i + 2) == 0x0010 || patch.getShort(i + 2) == 0x0011)) {
        patch.putShort(i + 8, (short) 8192);
      }
    }
    out.add(post("/api/models/" + model + "/classify", "application/dicom", huge));
    String longBoundary = "b".repeat(8000);
    out.add(post("/api/models/" + model + "/classify", "multipart/form-data; boundary=" + longBoundary,
        ascii("--" + longBoundary + "\r\n" + "x".repeat(100_000))));
    out.add(post("/v1/models/" + model + ":predict", "application/json", ascii("{\"instances\":[[[1e39]]]}")));
    out.add(post("/v2/models/" + model + "/infer", "application/json", ascii("{\"inputs\":[{\"name\":\"images\","
        + "\"shape\":[4294967297," + side + "," + side + ",1],\"datatype\":\"FP32\",\"data\":[0]}]}")));
    out.add(post("/v1/models/" + model + ":predict", "application/json", ascii("[".repeat(100_000))));
    return out;
  }
}
