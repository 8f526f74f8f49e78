package org.ctnet.dicom.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * multipart/related bodies (RFC 2387) as DICOMweb uses them (PS3.18 8.6): written for STOW-RS, read
 * part by part from a stream for WADO-RS and STOW-RS, so memory holds one part at a time.
 */
public final class Multipart {
  /** Longest part header block read before a part is refused as malformed. */
  private static final int MAX_HEADER_BYTES = 16 * 1024;

  private Multipart() {}

  /** A body and the Content-Type header that goes with it. */
  public record Body(String contentType, byte[] bytes) {}

  /** One part's headers (lower-case names) and its bytes. */
  public record Part(java.util.Map<String, String> headers, byte[] data) {
    public String contentType() {
      return headers.getOrDefault("content-type", "");
    }
  }

  /** Receives parts as they are read; may stop the read by throwing. */
  @FunctionalInterface
  public interface PartSink {
    void accept(Part part) throws IOException;
  }

  /** A STOW-RS body: each instance an application/dicom part. */
  public static Body dicom(List<byte[]> instances) {
    String boundary = "ctnet-" + UUID.randomUUID();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] instance : instances) {
      out.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(instance);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return new Body("multipart/related; type=\"application/dicom\"; boundary=" + boundary, out.toByteArray());
  }

  /** The boundary parameter of a multipart Content-Type, or an exception saying what is wrong. */
  public static String boundary(String contentType) throws MultipartException {
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/related")) {
      throw new MultipartException("expected Content-Type multipart/related; type=\"application/dicom\", got '"
          + contentType + "'");
    }
    for (String param : contentType.split(";")) {
      String p = param.strip();
      if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
        String b = p.substring("boundary=".length()).strip();
        if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
          b = b.substring(1, b.length() - 1);
        }
        if (b.isEmpty() || b.length() > 200) {
          throw new MultipartException("multipart boundary must be 1..200 characters");
        }
        return b;
      }
    }
    throw new MultipartException("multipart Content-Type without a boundary parameter");
  }

  /**
   * Reads the parts of a multipart body from {@code in}, handing each to {@code sink} as soon as it
   * is complete; a part longer than {@code maxPartBytes} is refused. Returns the number of parts.
   */
  public static int read(InputStream in, String contentType, long maxPartBytes, PartSink sink) throws IOException {
    byte[] delimiter = ("\r\n--" + boundary(contentType)).getBytes(StandardCharsets.US_ASCII);
    int[] delimiterTable = Scanner.failure(delimiter); // one table for every part of the body
    Scanner s = new Scanner(in);
    // The first boundary may come without the leading CRLF.
    if (!s.skipPast(java.util.Arrays.copyOfRange(delimiter, 2, delimiter.length), MAX_HEADER_BYTES * 4L)) {
      throw new MultipartException("multipart body without its first boundary");
    }
    int parts = 0;
    while (true) {
      int a = s.read();
      int b = s.read();
      if (a == '-' && b == '-') {
        return parts;
      }
      if (a != '\r' || b != '\n') {
        throw new MultipartException("malformed multipart boundary line");
      }
      java.util.Map<String, String> headers = s.headers();
      ByteArrayOutputStream data = new ByteArrayOutputStream();
      if (!s.copyUntil(delimiter, delimiterTable, data, maxPartBytes)) {
        throw new MultipartException("multipart body ends inside a part (no closing boundary)");
      }
      sink.accept(new Part(headers, data.toByteArray()));
      parts++;
    }
  }

  /** A buffered byte reader that finds delimiters without holding more than one part. */
  private static final class Scanner {
    private final InputStream in;
    private final byte[] buffer = new byte[64 * 1024];
    private int pos;
    private int limit;

    Scanner(InputStream in) {
      this.in = in;
    }

    int read() throws IOException {
      if (pos == limit && !fill()) {
        return -1;
      }
      return buffer[pos++] & 0xff;
    }

    private boolean fill() throws IOException {
      int n = in.read(buffer, 0, buffer.length);
      if (n <= 0) {
        return false;
      }
      pos = 0;
      limit = n;
      return true;
    }

    boolean skipPast(byte[] pattern, long max) throws IOException {
      return copyUntil(pattern, null, max);
    }

    /** Copies bytes up to {@code pattern} (consumed, not copied); false at the end of the stream. */
    boolean copyUntil(byte[] pattern, ByteArrayOutputStream out, long max) throws IOException {
      return copyUntil(pattern, failure(pattern), out, max);
    }

    /** Knuth–Morris–Pratt's failure table of {@code pattern}: each byte of the stream is looked at once. */
    static int[] failure(byte[] pattern) {
      int[] fail = new int[pattern.length];
      for (int i = 1, k = 0; i < pattern.length; i++) {
        while (k > 0 && pattern[i] != pattern[k]) {
          k = fail[k - 1];
        }
        if (pattern[i] == pattern[k]) {
          k++;
        }
        fail[i] = k;
      }
      return fail;
    }

    boolean copyUntil(byte[] pattern, int[] fail, ByteArrayOutputStream out, long max) throws IOException {
      int matched = 0;
      long copied = 0;
      while (true) {
        int c = read();
        if (c < 0) {
          return false;
        }
        while (matched > 0 && (byte) c != pattern[matched]) {
          if (out != null) {
            out.write(pattern, 0, matched - fail[matched - 1]);
          }
          copied += matched - fail[matched - 1];
          matched = fail[matched - 1];
        }
        if ((byte) c == pattern[matched]) {
          matched++;
          if (matched == pattern.length) {
            return true;
          }
        } else {
          if (out != null) {
            out.write(c);
          }
          copied++;
        }
        if (copied > max) {
          throw new MultipartException("a multipart part is larger than " + max + " bytes");
        }
      }
    }

    java.util.Map<String, String> headers() throws IOException {
      ByteArrayOutputStream block = new ByteArrayOutputStream();
      int a = read();
      int b = read();
      if (a == '\r' && b == '\n') {
        return java.util.Map.of(); // no headers: the blank line comes first
      }
      if (a < 0 || b < 0) {
        throw new MultipartException("multipart body ends inside a part's headers");
      }
      block.write(a);
      block.write(b);
      if (!copyUntil("\r\n\r\n".getBytes(StandardCharsets.US_ASCII), block, MAX_HEADER_BYTES)) {
        throw new MultipartException("multipart body ends inside a part's headers");
      }
      java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
      for (String line : block.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
        }
      }
      return headers;
    }
  }

  /** A body that is not the multipart/related it claims to be. */
  public static final class MultipartException extends IOException {
    public MultipartException(String message) {
      super(message);
    }
  }
}
