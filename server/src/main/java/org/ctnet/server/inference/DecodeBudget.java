package org.ctnet.server.inference;

import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The heap that Java image decodes may take at once, in KiB permits: a request acquires what its
 * images' headers say decoding will allocate, so a burst of small files that declare huge images
 * waits (then gets 503) instead of exhausting the heap. One image larger than the whole budget is
 * refused with 413.
 */
final class DecodeBudget {
  private static final long WAIT_MILLIS = 2_000;
  private final long totalBytes;
  private final Semaphore kib;

  DecodeBudget(long totalBytes) {
    this.totalBytes = totalBytes;
    this.kib = new Semaphore((int) Math.min(Integer.MAX_VALUE, Math.max(1, totalBytes >> 10)));
  }

  /** A held share of the budget; close it when the decoded pixels are no longer needed. */
  interface Permit extends AutoCloseable {
    @Override
    void close();
  }

  Permit acquire(long bytes) {
    if (bytes > totalBytes) {
      throw new ServingException(Problem.TOO_LARGE, "decoding this request needs about " + (bytes >> 20) + " MiB, more than the server's "
          + "decode budget of " + (totalBytes >> 20) + " MiB");
    }
    int permits = (int) Math.max(1, (bytes + 1023) >> 10);
    try {
      if (!kib.tryAcquire(permits, WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
        throw new ServingException(Problem.UNAVAILABLE, "the server is decoding other large images; retry");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServingException(Problem.UNAVAILABLE, "interrupted");
    }
    return () -> kib.release(permits);
  }
}
