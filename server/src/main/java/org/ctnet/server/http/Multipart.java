package org.ctnet.server.http;

import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Takes the file parts of a multipart/form-data body, or the raw body otherwise. Hand-written because
 * Helidon's multipart module (helidon-http-media-multipart 4.5.0) is not served by the registry this
 * project builds from, and it reads the live request stream, outside {@link BodyReader}'s upload budget
 * and timeout. It works on the already bounded body; the boundary is at most 70 bytes (RFC 2046), so
 * the search is linear in the body (HostileRequestsTest sends an 8,000-byte boundary).
 */
final class Multipart {
  static final int MAX_BOUNDARY = 70;

  private Multipart() {}

  /** One uploaded file: the name the client gave (or "part-N") and its bytes. */
  record FilePart(String name, byte[] data) {}

  static byte[] imageFrom(String contentType, byte[] body) {
    if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
      return body;
    }
    List<FilePart> files = parts(contentType, body, 1);
    if (files.isEmpty()) {
      throw ServingException.badRequest("multipart body has no file part (use a form field named 'file')");
    }
    return files.get(0).data();
  }

  /** Every file part of a multipart/form-data body, at most {@code maxFiles} (413 beyond). */
  static List<FilePart> files(String contentType, byte[] body, int maxFiles) {
    List<FilePart> files = parts(contentType, body, maxFiles + 1);
    if (files.size() > maxFiles) {
      throw new ServingException(Problem.TOO_LARGE, "more than " + maxFiles + " files in one upload");
    }
    return files;
  }

  /** The first {@code limit} file parts (the rest of the body is not searched). */
  private static List<FilePart> parts(String contentType, byte[] body, int limit) {
    int b = contentType.indexOf("boundary=");
    if (b < 0) {
      throw ServingException.badRequest("multipart body without a boundary");
    }
    String boundary = contentType.substring(b + 9).split(";")[0].trim().replace("\"", "");
    if (boundary.isEmpty() || boundary.length() > MAX_BOUNDARY) {
      // RFC 2046 §5.1.1: 1..70 characters. The bound also keeps the boundary search linear in the body.
      throw ServingException.badRequest("multipart boundary must be 1.." + MAX_BOUNDARY + " characters, got " + boundary.length());
    }
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    List<FilePart> out = new ArrayList<>();
    int start = indexOf(body, delimiter, 0);
    while (start >= 0 && out.size() < limit) {
      int headersStart = start + delimiter.length + 2;
      int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
      if (headersEnd < 0) {
        break;
      }
      String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.ISO_8859_1);
      int next = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1), headersEnd + 4);
      if (next < 0) {
        break;
      }
      if (headers.toLowerCase().contains("filename=") || headers.toLowerCase().contains("name=\"file\"")) {
        out.add(new FilePart(fileName(headers, out.size()), Arrays.copyOfRange(body, headersEnd + 4, next)));
      }
      start = next + 2;
    }
    return out;
  }

  private static String fileName(String headers, int index) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("filename=\"([^\"]*)\"").matcher(headers);
    return m.find() && !m.group(1).isBlank() ? m.group(1) : "part-" + index;
  }

  private static int indexOf(byte[] data, byte[] pattern, int from) {
    outer:
    for (int i = Math.max(0, from); i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
