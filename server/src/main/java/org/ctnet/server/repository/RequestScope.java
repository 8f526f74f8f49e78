package org.ctnet.server.repository;

/**
 * The model version that served the current request, for the access log and the request metrics.
 * Helidon runs each request on one (virtual) thread from start to end, so a thread-local scope is
 * exact; the lease records the version when a request acquires one.
 */
public final class RequestScope {
  private static final ThreadLocal<long[]> VERSION = new ThreadLocal<>();
  /** The caller's deadline (System.nanoTime), when it gave one: work past it is cancelled, queued or not. */
  private static final ThreadLocal<Long> DEADLINE = new ThreadLocal<>();
  /** The caller's image bucket, and the images charged so far: {predicted, explained}. */
  private static final ThreadLocal<java.util.function.IntConsumer> IMAGE_CHARGE = new ThreadLocal<>();
  private static final ThreadLocal<long[]> CHARGED = new ThreadLocal<>();

  private RequestScope() {}

  public static void begin() {
    VERSION.set(new long[] {-1});
    DEADLINE.remove();
    IMAGE_CHARGE.remove();
    CHARGED.set(new long[2]);
  }

  /** The request's images are taken from this bucket (a client's per-second image rate). */
  public static void chargeImagesTo(java.util.function.IntConsumer bucket) {
    IMAGE_CHARGE.set(bucket);
  }

  /**
   * Images this request gives the model: each image once, whether it is predicted, explained or
   * both (an explanation of images just predicted is not charged again; one alone is).
   */
  static void charge(int images, boolean explained) {
    java.util.function.IntConsumer bucket = IMAGE_CHARGE.get();
    long[] charged = CHARGED.get();
    if (bucket == null || charged == null) {
      return;
    }
    long due = images;
    if (explained) {
      due = Math.max(0, charged[1] + images - Math.max(charged[0], charged[1]));
      charged[1] += images;
    } else {
      due = Math.max(0, charged[0] + images - Math.max(charged[0], charged[1]));
      charged[0] += images;
    }
    if (due > 0) {
      bucket.accept((int) Math.min(Integer.MAX_VALUE, due));
    }
  }

  /** The caller will wait at most {@code millis} more (a gRPC deadline, an X-Request-Timeout header). */
  public static void deadlineIn(long millis) {
    DEADLINE.set(System.nanoTime() + Math.max(0, millis) * 1_000_000L);
  }

  /** How long this request may still wait, at most {@code limitMillis} (the server's own timeout). */
  public static long remainingMillis(long limitMillis) {
    Long deadline = DEADLINE.get();
    return deadline == null ? limitMillis
        : Math.max(0, Math.min(limitMillis, (deadline - System.nanoTime()) / 1_000_000L));
  }

  /** Whether the caller gave a deadline shorter than the server's timeout. */
  public static boolean callerDeadline(long limitMillis) {
    return DEADLINE.get() != null && remainingMillis(limitMillis) < limitMillis;
  }

  static void servedBy(long version) {
    long[] current = VERSION.get();
    if (current != null) {
      current[0] = version;
    }
  }

  /** Ends the scope: the version as a label value, or "" when no version was involved. */
  public static String end() {
    long[] current = VERSION.get();
    VERSION.remove();
    DEADLINE.remove();
    IMAGE_CHARGE.remove();
    CHARGED.remove();
    return current == null || current[0] < 0 ? "" : Long.toString(current[0]);
  }
}
