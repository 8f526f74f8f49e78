package org.ctnet.server.inference;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A byte-level fast path for the common TF Serving row body {@code {"instances": [<image>, ...],
 * ...}} where every image is a nest of exactly {@code [H][W][C]} (or {@code [H][W]} when C = 1)
 * JSON numbers. A 224×224 image is 50,176 decimal numbers; a general JSON tree (or even a streaming
 * tokenizer handing out one String per number) costs several times the inference, so this scanner
 * reads the numbers straight into a float array. The other top-level members are small; they are
 * handed to Jackson as one object.
 *
 * <p>Anything this scanner does not accept returns null and takes the general path, which produces
 * the detailed error messages. Numbers become {@code (float) Double.parseDouble(text)}, exactly like
 * the general path (Jackson tree → {@code floatValue()}) and TF Serving (parse as double, cast).
 */
final class FastInstances {
  /** Flat [count, H, W, C] values and the other top-level members of the body. */
  record Parsed(float[] values, int count, ObjectNode others) {}

  private static final String INSTANCES = "instances";
  /** Images whose text is at least this large are read by two threads. */
  private static final long PARALLEL_MIN_BYTES = 128 * 1024;
  /** Exact powers of ten as doubles: 10^22 is the largest one a double holds exactly. */
  private static final double[] POW10 = new double[23];

  static {
    POW10[0] = 1;
    for (int i = 1; i < POW10.length; i++) {
      POW10[i] = POW10[i - 1] * 10;
    }
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final byte[] b;
  private int pos;

  private FastInstances(byte[] body) {
    this.b = body;
  }

  /**
   * Parses the body, or returns null when it is not a JSON object whose {@code instances} holds
   * 1..maxInstances images of the given shape as numeric nests.
   */
  static Parsed parse(byte[] body, int height, int width, int channels, int maxInstances) {
    try {
      return new FastInstances(body).object(height, width, channels, maxInstances);
    } catch (NotFast e) {
      return null;
    }
  }

  /**
   * The same for a KServe v2 body with one FP32 tensor whose {@code data} is a flat list:
   * {@code {"inputs": [{"name", "shape": [n, H, W, C], "datatype": "FP32", "data": [...]}], ...}};
   * null for anything else (BYTES, nested data, several tensors), which the general path handles.
   */
  static Parsed parseKserve(byte[] body, int height, int width, int channels, int maxInstances) {
    try {
      return new FastInstances(body).kserve(height, width, channels, maxInstances);
    } catch (NotFast e) {
      return null;
    }
  }

  /** Thrown inside the scanner when the body leaves the fast path; never escapes this class. */
  private static final class NotFast extends Exception {
    private static final NotFast INSTANCE = new NotFast();

    private NotFast() {
      super(null, null, false, false);
    }
  }

  private Parsed object(int height, int width, int channels, int maxInstances) throws NotFast {
    expect('{');
    float[] values = null;
    int count = 0;
    StringBuilder others = new StringBuilder("{");
    if (peek() != '}') {
      do {
        String key = key();
        expect(':');
        if (key.equals(INSTANCES)) {
          if (values != null) {
            throw NotFast.INSTANCE;
          }
          int perInstance = height * width * channels;
          values = new float[perInstance];
          expect('[');
          do {
            if (count == maxInstances) {
              throw NotFast.INSTANCE;
            }
            if ((count + 1) * perInstance > values.length) {
              values = Arrays.copyOf(values, Math.max((count + 1) * perInstance, values.length * 2));
            }
            image(values, count * perInstance, height, width, channels);
            count++;
          } while (comma(']'));
        } else {
          keepMember(others, key);
        }
      } while (comma('}'));
    } else {
      pos++;
    }
    skipWhitespace();
    if (values == null || pos != b.length) {
      throw NotFast.INSTANCE;
    }
    return new Parsed(count * height * width * channels == values.length ? values
        : Arrays.copyOf(values, count * height * width * channels), count, othersObject(others));
  }

  private Parsed kserve(int height, int width, int channels, int maxInstances) throws NotFast {
    expect('{');
    float[] values = null;
    int count = 0;
    StringBuilder others = new StringBuilder("{");
    if (peek() == '}') {
      throw NotFast.INSTANCE;
    }
    do {
      String key = key();
      expect(':');
      if (key.equals("inputs")) {
        if (values != null) {
          throw NotFast.INSTANCE;
        }
        expect('[');
        expect('{');
        boolean fp32 = false;
        long[] shape = null;
        float[] data = null;
        int n = 0;
        do {
          String member = key();
          expect(':');
          switch (member) {
            case "datatype" -> {
              int start = skipValue();
              fp32 = new String(b, start, pos - start, StandardCharsets.UTF_8).equals("\"FP32\"");
            }
            case "shape" -> shape = integers();
            case "data" -> {
              data = new float[height * width * channels];
              expect('[');
              do {
                if (n == data.length) {
                  data = Arrays.copyOf(data, data.length * 2);
                }
                data[n++] = number();
              } while (comma(']'));
            }
            case "name", "parameters" -> skipValue();
            default -> throw NotFast.INSTANCE;
          }
        } while (comma('}'));
        expect(']'); // exactly one tensor
        if (!fp32 || shape == null || data == null || shape.length != 4 || shape[0] < 1 || shape[0] > maxInstances
            || shape[1] != height || shape[2] != width || shape[3] != channels || n != shape[0] * height * width * channels) {
          throw NotFast.INSTANCE;
        }
        count = (int) shape[0];
        values = n == data.length ? data : Arrays.copyOf(data, n);
      } else {
        keepMember(others, key);
      }
    } while (comma('}'));
    skipWhitespace();
    if (values == null || pos != b.length) {
      throw NotFast.INSTANCE;
    }
    return new Parsed(values, count, othersObject(others));
  }

  /** A JSON list of small non-negative integers. */
  private long[] integers() throws NotFast {
    expect('[');
    long[] out = new long[8];
    int n = 0;
    do {
      skipWhitespace();
      long v = 0;
      int start = pos;
      while (pos < b.length && b[pos] >= '0' && b[pos] <= '9' && pos - start < 12) {
        v = v * 10 + (b[pos++] - '0');
      }
      if (pos == start || n == out.length) {
        throw NotFast.INSTANCE;
      }
      out[n++] = v;
    } while (comma(']'));
    return Arrays.copyOf(out, n);
  }

  /** Appends the member whose value starts here, unparsed, to the other members' JSON text. */
  private void keepMember(StringBuilder others, String key) throws NotFast {
    int start = skipValue();
    if (others.length() > 1) {
      others.append(',');
    }
    others.append('"').append(key).append("\":").append(new String(b, start, pos - start, StandardCharsets.UTF_8));
  }

  /** The collected other members as a JSON object, validated by Jackson. */
  private static ObjectNode othersObject(StringBuilder others) throws NotFast {
    try {
      return (ObjectNode) Json.MAPPER.readTree(others.append('}').toString());
    } catch (IOException e) {
      throw NotFast.INSTANCE;
    }
  }

  /** One image: [H][W][C], or [H][W] when C = 1, written at offset. */
  private void image(float[] out, int offset, int height, int width, int channels) throws NotFast {
    expect('[');
    expect('[');
    boolean nested = peek() == '[';
    if (!nested && channels != 1) {
      throw NotFast.INSTANCE;
    }
    pos--; // back onto the first row's '['
    int rowValues = width * channels;
    int firstRow = pos;
    row(out, offset, width, channels, nested);
    // A large image is read by two threads: a second one starts at a row boundary near the middle
    // (found by its byte pattern) while this one reads up to it. The guess is checked: this thread
    // must arrive exactly at that boundary, or the second thread's work is dropped.
    Tail tail = null;
    if (height >= 4 && (long) (pos - firstRow) * height >= PARALLEL_MIN_BYTES) {
      int split = rowStartAfter((int) Math.min(b.length, firstRow + (long) (pos - firstRow) * (height / 2)), nested);
      if (split > 0) {
        tail = new Tail(b, split, height - 1, width, channels, nested);
      }
    }
    int y = 1;
    while (y < height) {
      expect(',');
      if (tail != null) {
        skipWhitespace();
        if (pos == tail.start) {
          y += tail.join(out, offset + y * rowValues, height - y);
          pos = tail.end;
          break;
        }
        if (pos > tail.start) {
          tail = null; // a wrong guess: read on alone
        }
      }
      row(out, offset + y * rowValues, width, channels, nested);
      y++;
    }
    expect(']');
  }

  /** One row: [W] numbers, or [W][C] when nested. */
  private void row(float[] out, int o, int width, int channels, boolean nested) throws NotFast {
    expect('[');
    for (int x = 0; x < width; x++) {
      if (x > 0) {
        expect(',');
      }
      if (nested) {
        expect('[');
        for (int c = 0; c < channels; c++) {
          if (c > 0) {
            expect(',');
          }
          out[o++] = number();
        }
        expect(']');
      } else {
        out[o++] = number();
      }
    }
    expect(']');
  }

  /**
   * The first compact row boundary at or after {@code from}: {@code "]],[["} in a [H][W][C] nest,
   * {@code "],["} in a [H][W] one (where pixels are bare numbers); -1 if none is near.
   */
  private int rowStartAfter(int from, boolean nested) {
    int limit = Math.min(b.length - 5, from + 65_536);
    for (int i = Math.max(from, 0); i < limit; i++) {
      if (nested) {
        if (b[i] == ']' && b[i + 1] == ']' && b[i + 2] == ',' && b[i + 3] == '[' && b[i + 4] == '[') {
          return i + 3;
        }
      } else if (b[i] == ']' && b[i + 1] == ',' && b[i + 2] == '[') {
        return i + 2;
      }
    }
    return -1;
  }

  /** The rows from a guessed boundary to the end of the image, read on a virtual thread. */
  private static final class Tail {
    final int start;
    private final float[] values;
    private final int rowValues;
    private final Thread thread;
    private int rows;
    private int end = -1;

    Tail(byte[] body, int start, int maxRows, int width, int channels, boolean nested) {
      this.start = start;
      this.rowValues = width * channels;
      this.values = new float[maxRows * rowValues];
      this.thread = Thread.ofVirtual().start(() -> {
        FastInstances scanner = new FastInstances(body);
        scanner.pos = start;
        try {
          int n = 0;
          do {
            if (n == maxRows) {
              return;
            }
            scanner.row(values, n * rowValues, width, channels, nested);
            n++;
          } while (scanner.comma(']'));
          rows = n;
          end = scanner.pos - 1; // back onto the image's ']' for the caller to read
        } catch (NotFast e) {
          // end stays -1: the caller gives up the fast path
        }
      });
    }

    /** Waits, checks the tail ends the image with exactly {@code rowsLeft} rows, copies them. */
    int join(float[] out, int offset, int rowsLeft) throws NotFast {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw NotFast.INSTANCE;
      }
      if (end < 0 || rows != rowsLeft) {
        throw NotFast.INSTANCE;
      }
      System.arraycopy(values, 0, out, offset, rows * rowValues);
      return rows;
    }
  }

  /**
   * Reads a JSON number as (float) of its nearest double; one outside float's range (1e39) is left to
   * the general path, which refuses it with its position.
   */
  private float number() throws NotFast {
    float value = parsedNumber();
    if (!Float.isFinite(value)) {
      throw NotFast.INSTANCE;
    }
    return value;
  }

  private float parsedNumber() throws NotFast {
    byte[] b = this.b;
    int n = b.length;
    int p = pos;
    if (p < n && whitespace(b[p])) {
      skipWhitespace();
      p = pos;
    }
    int start = p;
    boolean negative = p < n && b[p] == '-';
    if (negative) {
      p++;
    }
    long significand = 0;
    int digits = 0; // significant digits taken into the significand
    int exponent = 0;
    boolean exact = true;
    int d = p < n ? b[p] - '0' : -1;
    if (d == 0) {
      p++;
    } else if (d > 0 && d <= 9) {
      while (p < n && (d = b[p] - '0') >= 0 && d <= 9) {
        if (digits < 18) {
          significand = significand * 10 + d;
          digits++;
        } else {
          exact = false;
        }
        p++;
      }
    } else {
      throw NotFast.INSTANCE;
    }
    if (p < n && b[p] == '.') {
      int fractionStart = ++p;
      // eight digits at a time while they fit the significand (most of a float's fraction)
      long chunk;
      while (digits <= 10 && p + 8 <= n && eightDigits(chunk = (long) LONGS.get(b, p))) {
        significand = significand * 100_000_000L + eightDigitsValue(chunk);
        digits += 8;
        exponent -= 8;
        p += 8;
      }
      while (p < n && (d = b[p] - '0') >= 0 && d <= 9) {
        if (digits < 18) {
          if (significand != 0 || d != 0) {
            significand = significand * 10 + d;
            digits++;
          }
          exponent--; // a leading zero only moves the point
        } else {
          exact = false;
        }
        p++;
      }
      if (p == fractionStart) {
        throw NotFast.INSTANCE;
      }
    }
    if (p < n && (b[p] == 'e' || b[p] == 'E')) {
      p++;
      boolean negativeExponent = false;
      if (p < n && (b[p] == '+' || b[p] == '-')) {
        negativeExponent = b[p] == '-';
        p++;
      }
      int exponentStart = p;
      int e = 0;
      while (p < n && (d = b[p] - '0') >= 0 && d <= 9) {
        e = Math.min(e * 10 + d, 100_000);
        p++;
      }
      if (p == exponentStart) {
        throw NotFast.INSTANCE;
      }
      exponent += negativeExponent ? -e : e;
    }
    pos = p;
    double value;
    if (significand == 0 && exact) {
      value = 0;
    } else if (exact && significand < (1L << 53) && exponent >= -22 && exponent <= 22) {
      // Clinger's fast path: both operands exact, so one IEEE operation rounds correctly.
      value = exponent < 0 ? significand / POW10[-exponent] : significand * POW10[exponent];
    } else {
      return (float) Double.parseDouble(new String(b, start, p - start, StandardCharsets.ISO_8859_1));
    }
    return (float) (negative ? -value : value);
  }

  /** True when all eight bytes of a little-endian word are ASCII digits. */
  private static boolean eightDigits(long word) {
    return ((word & 0xF0F0F0F0F0F0F0F0L) | (((word + 0x0606060606060606L) & 0xF0F0F0F0F0F0F0F0L) >>> 4))
        == 0x3333333333333333L;
  }

  /** The value of eight ASCII digits, the first in the lowest byte (SWAR: three multiplies). */
  private static long eightDigitsValue(long word) {
    long v = word - 0x3030303030303030L;
    v = (v * 10 + (v >>> 8)) & 0x00FF00FF00FF00FFL;
    v = (v * 100 + (v >>> 16)) & 0x0000FFFF0000FFFFL;
    return (v * 10000 + (v >>> 32)) & 0xFFFFFFFFL;
  }

  /** A member name without escapes (names with escapes leave the fast path). */
  private String key() throws NotFast {
    expect('"');
    int start = pos;
    while (pos < b.length && b[pos] != '"') {
      if (b[pos] == '\\' || (b[pos] & 0xff) < 0x20) {
        throw NotFast.INSTANCE;
      }
      pos++;
    }
    if (pos == b.length) {
      throw NotFast.INSTANCE;
    }
    return new String(b, start, pos++ - start, StandardCharsets.UTF_8);
  }

  /** Skips any JSON value (Jackson validates it afterwards); returns where it started. */
  private int skipValue() throws NotFast {
    skipWhitespace();
    int start = pos;
    int depth = 0;
    do {
      if (pos >= b.length) {
        throw NotFast.INSTANCE;
      }
      byte c = b[pos++];
      if (c == '"') {
        while (pos < b.length && b[pos] != '"') {
          pos += b[pos] == '\\' ? 2 : 1;
        }
        pos++;
      } else if (c == '[' || c == '{') {
        depth++;
      } else if (c == ']' || c == '}') {
        depth--;
      } else if (depth == 0) {
        // a scalar at top level: runs until a delimiter
        while (pos < b.length && b[pos] != ',' && b[pos] != '}' && b[pos] != ']' && !whitespace(b[pos])) {
          pos++;
        }
      }
      if (depth < 0 || pos > b.length) {
        throw NotFast.INSTANCE;
      }
    } while (depth > 0);
    return start;
  }

  /** After an element: true on ',' (another follows), false on the closing bracket. */
  private boolean comma(char close) throws NotFast {
    skipWhitespace();
    if (pos < b.length && b[pos] == ',') {
      pos++;
      return true;
    }
    expect(close);
    return false;
  }

  private void expect(char c) throws NotFast {
    if (pos < b.length && b[pos] == c) {
      pos++; // the common case: no whitespace before the token
      return;
    }
    skipWhitespace();
    if (pos >= b.length || b[pos] != c) {
      throw NotFast.INSTANCE;
    }
    pos++;
  }

  private int peek() throws NotFast {
    skipWhitespace();
    if (pos >= b.length) {
      throw NotFast.INSTANCE;
    }
    return b[pos];
  }

  private void skipWhitespace() {
    while (pos < b.length && whitespace(b[pos])) {
      pos++;
    }
  }

  private static boolean whitespace(byte c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }
}
