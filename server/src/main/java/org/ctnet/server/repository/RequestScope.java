package org.ctnet.server.repository;

/**
 * The model version that served the current request, for the access log and the request metrics.
 * Helidon runs each request on one (virtual) thread from start to end, so a thread-local scope is
 * exact; the lease records the version when a request acquires one.
 */
public final class RequestScope {
  private static final ThreadLocal<long[]> VERSION = new ThreadLocal<>();

  private RequestScope() {}

  public static void begin() {
    VERSION.set(new long[] {-1});
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
    return current == null || current[0] < 0 ? "" : Long.toString(current[0]);
  }
}
