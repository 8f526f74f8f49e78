package org.ctnet.server.http;

import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.RequestException;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.Semaphore;

/**
 * Reads request bodies within budgets a container can be sized from: at most {@code maxConcurrent}
 * bodies at once (503 beyond), each at most {@code maxBytes} (413, declared or chunked), in full
 * within {@code timeoutMillis} (408). Memory grows with the bytes that arrived, never with what a
 * {@code Content-Length} header promises.
 */
final class BodyReader {
  /** Most bytes of a refused body read and dropped before answering 413. */
  static final long DRAIN_LIMIT_BYTES = 64L << 20;
  private static final int FIRST_BUFFER = 64 << 10;

  private final long maxBytes;
  private final long timeoutMillis;
  private final int maxConcurrent;
  private final Semaphore permits;

  BodyReader(long maxBytes, int maxConcurrent, long timeoutMillis) {
    this.maxBytes = maxBytes;
    this.maxConcurrent = maxConcurrent;
    this.timeoutMillis = timeoutMillis;
    this.permits = new Semaphore(maxConcurrent);
  }

  byte[] read(ServerRequest req) throws IOException {
    if (!permits.tryAcquire()) {
      throw new ServingException(Problem.UNAVAILABLE, "more than " + maxConcurrent + " request bodies are being received; retry");
    }
    try (InputStream in = req.content().inputStream()) {
      return readBounded(in, req.headers().contentLength().orElse(-1));
    } catch (DataReader.InsufficientDataAvailableException e) {
      throw ServingException.badRequest("the request body ended before its declared length (connection closed by the client?)");
    } catch (UncheckedIOException e) {
      if (causedBy(e, SocketTimeoutException.class)) {
        throw new ServingException(Problem.BODY_TIMEOUT, "the request body stopped arriving (no byte for " + timeoutMillis + " ms)");
      }
      throw ServingException.badRequest("the request body ended before its declared length (connection closed by the client?)");
    } catch (RequestException e) {
      // Helidon refuses a chunked body past its payload limit while we read it.
      if (e.status().code() == 413) {
        throw new ServingException(Problem.TOO_LARGE, "request body exceeds the limit of " + maxBytes + " bytes");
      }
      throw ServingException.badRequest("malformed request body: " + e.getMessage());
    } finally {
      permits.release();
    }
  }

  private byte[] readBounded(InputStream in, long declared) throws IOException {
    if (declared > maxBytes) {
      drain(in);
      throw new ServingException(Problem.TOO_LARGE, "request body of " + declared + " bytes exceeds the limit of " + maxBytes);
    }
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    long limit = declared >= 0 ? declared : maxBytes + 1;
    byte[] buffer = new byte[(int) Math.min(limit, FIRST_BUFFER)];
    int length = 0;
    while (length < limit) {
      if (length == buffer.length) {
        buffer = Arrays.copyOf(buffer, (int) Math.min(limit, Math.max(FIRST_BUFFER, 2L * buffer.length)));
      }
      int n = in.read(buffer, length, buffer.length - length);
      if (n < 0) {
        break;
      }
      length += n;
      if (System.nanoTime() > deadline) {
        throw new ServingException(Problem.BODY_TIMEOUT, "the request body took longer than " + timeoutMillis + " ms to arrive");
      }
    }
    if (declared >= 0 && length < declared) {
      throw ServingException.badRequest("request body ended after " + length + " of " + declared + " bytes");
    }
    if (length > maxBytes) {
      drain(in);
      throw new ServingException(Problem.TOO_LARGE, "request body exceeds the limit of " + maxBytes + " bytes");
    }
    return length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Reads and drops the rest of a refused body (up to a bound): closing a connection with unread
   * bytes makes the kernel reset it, and the client would lose the 413 it was sent.
   */
  private static void drain(InputStream in) throws IOException {
    long left = DRAIN_LIMIT_BYTES;
    while (left > 0) {
      long skipped = in.skip(left);
      if (skipped <= 0) {
        if (in.read() < 0) {
          return;
        }
        skipped = 1;
      }
      left -= skipped;
    }
  }
}
