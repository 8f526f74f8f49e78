package org.ctnet.server.inference;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The byte-level JSON scanner under the fast request parsers ({@link FastInstances} for TF Serving's
 * rows, {@link FastKServe} for KServe v2): numbers read straight into floats, member names, skipped
 * values, punctuation. A grammar that meets anything it does not accept throws {@link NotFast}, and its
 * caller returns null so the general path (Jackson) answers, with the detailed errors.
 *
 * <p>Numbers become {@code (float) Double.parseDouble(text)}, exactly like the general path (Jackson
 * tree → {@code floatValue()}) and TF Serving (parse as double, cast).
 */
abstract class FastJson {
  /** Flat [count, H, W, C] values and the other top-level members of the body. */
  record Parsed(float[] values, int count, ObjectNode others) {}

  /** Exact powers of ten as doubles: 10^22 is the largest one a double holds exactly. */
  private static final double[] POW10 = new double[23];

  static {
    POW10[0] = 1;
    for (int i = 1; i < POW10.length; i++) {
      POW10[i] = POW10[i - 1] * 10;
    }
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  final byte[] b;
  int pos;

  FastJson(byte[] body) {
    this.b = body;
  }

  /** Thrown inside the scanner when the body leaves the fast path; never escapes the parsers. */
  static final class NotFast extends Exception {
    static final NotFast INSTANCE = new NotFast();

    private NotFast() {
      super(null, null, false, false);
    }
  }

  /** A JSON list of small non-negative integers. */
  long[] integers() throws NotFast {
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
  void keepMember(StringBuilder others, String key) throws NotFast {
    int start = skipValue();
    if (others.length() > 1) {
      others.append(',');
    }
    others.append('"').append(key).append("\":").append(new String(b, start, pos - start, StandardCharsets.UTF_8));
  }

  /** The collected other members as a JSON object, validated by Jackson. */
  static ObjectNode othersObject(StringBuilder others) throws NotFast {
    try {
      return (ObjectNode) Json.MAPPER.readTree(others.append('}').toString());
    } catch (IOException e) {
      throw NotFast.INSTANCE;
    }
  }

  /**
   * Reads a JSON number as (float) of its nearest double; one outside float's range (1e39) is left to
   * the general path, which refuses it with its position.
   */
  float number() throws NotFast {
    float value = parsedNumber();
    if (!Float.isFinite(value)) {
      throw NotFast.INSTANCE;
    }
    return value;
  }

  float parsedNumber() throws NotFast {
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
      // then four at once (a pixel written with 4 to 7 decimals, the usual case, never reaches eight)
      int word;
      if (digits <= 14 && p + 4 <= n && fourDigits(word = (int) INTS.get(b, p))) {
        significand = significand * 10_000L + fourDigitsValue(word);
        digits += 4;
        exponent -= 4;
        p += 4;
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

  /** True when all four bytes of a little-endian word are ASCII digits. */
  private static boolean fourDigits(int word) {
    return ((word & 0xF0F0F0F0) | (((word + 0x06060606) & 0xF0F0F0F0) >>> 4)) == 0x33333333;
  }

  /** The value of four ASCII digits, the first in the lowest byte (SWAR: two multiplies). */
  private static int fourDigitsValue(int word) {
    int v = word - 0x30303030;
    v = (v * 10 + (v >>> 8)) & 0x00FF00FF;
    return (v * 100 + (v >>> 16)) & 0xFFFF;
  }

  /** The value of eight ASCII digits, the first in the lowest byte (SWAR: three multiplies). */
  private static long eightDigitsValue(long word) {
    long v = word - 0x3030303030303030L;
    v = (v * 10 + (v >>> 8)) & 0x00FF00FF00FF00FFL;
    v = (v * 100 + (v >>> 16)) & 0x0000FFFF0000FFFFL;
    return (v * 10000 + (v >>> 32)) & 0xFFFFFFFFL;
  }

  /** A member name without escapes (names with escapes leave the fast path). */
  String key() throws NotFast {
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
  int skipValue() throws NotFast {
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
  boolean comma(char close) throws NotFast {
    skipWhitespace();
    if (pos < b.length && b[pos] == ',') {
      pos++;
      return true;
    }
    expect(close);
    return false;
  }

  void expect(char c) throws NotFast {
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

  int peek() throws NotFast {
    skipWhitespace();
    if (pos >= b.length) {
      throw NotFast.INSTANCE;
    }
    return b[pos];
  }

  void skipWhitespace() {
    while (pos < b.length && whitespace(b[pos])) {
      pos++;
    }
  }

  private static boolean whitespace(byte c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }
}
