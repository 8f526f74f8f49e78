package org.ctnet.server;

import java.util.concurrent.atomic.AtomicInteger;
import org.ctnet.graph.runtime.ModelSession;

/**
 * One loaded model version. Requests acquire it for their whole length; a version retired by a
 * reload closes its session only after the last in-flight request has released it.
 */
public final class ServedVersion {
  private final String model;
  private final long version;
  private final ModelSession session;
  private final Batcher batcher;
  private final AtomicInteger users = new AtomicInteger(1); // the repository's own reference
  private volatile boolean closed;
  private final java.util.List<String> devices;

  ServedVersion(String model, long version, ModelSession session, ServerSettings settings, Metrics metrics) {
    this.model = model;
    this.version = version;
    this.session = session;
    this.devices = session.servingDevices();
    this.batcher = new Batcher(session, settings, metrics, model, version);
  }

  public String model() {
    return model;
  }

  public long version() {
    return version;
  }

  public ModelSession session() {
    return session;
  }

  /** Where the serving ops run (CPU, or GPU with the gpu build and a visible device). */
  public java.util.List<String> devices() {
    return devices;
  }

  public Batcher batcher() {
    return batcher;
  }

  /** @return false if the version is already being unloaded */
  boolean acquire() {
    while (true) {
      int n = users.get();
      if (n <= 0) {
        return false;
      }
      if (users.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  void release() {
    if (users.decrementAndGet() == 0) {
      closed = true;
      batcher.close();
      session.close();
    }
  }

  boolean isClosed() {
    return closed;
  }
}
