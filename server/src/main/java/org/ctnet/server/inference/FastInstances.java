package org.ctnet.server.inference;

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
final class FastInstances extends FastJson {
  private static final String INSTANCES = "instances";
  /** Images whose text is at least this large are read by two threads. */
  private static final long PARALLEL_MIN_BYTES = 128 * 1024;

  private FastInstances(byte[] body) {
    super(body);
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
}
