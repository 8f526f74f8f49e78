package org.ctnet.server.observe;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/** A small Prometheus registry: counters, gauges and fixed-bucket histograms, text format 0.0.4. */
public final class Metrics {
  /** The Prometheus text exposition format this registry writes. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4";

  private static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64};

  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
  private final Map<String, Histogram> batches = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> queue = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> loadFailures = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> rejected = new ConcurrentHashMap<>();

  private static final class Histogram {
    final double[] bounds;
    final AtomicLong[] counts;
    final DoubleAdder sum = new DoubleAdder();
    final AtomicLong count = new AtomicLong();

    Histogram(double[] bounds) {
      this.bounds = bounds;
      this.counts = new AtomicLong[bounds.length];
      for (int i = 0; i < bounds.length; i++) {
        counts[i] = new AtomicLong();
      }
    }

    void observe(double v) {
      for (int i = 0; i < bounds.length; i++) {
        if (v <= bounds[i]) {
          counts[i].incrementAndGet();
        }
      }
      sum.add(v);
      count.incrementAndGet();
    }
  }

  static String labels(String... kv) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < kv.length; i += 2) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(kv[i]).append("=\"").append(kv[i + 1].replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return sb.append('}').toString();
  }

  public void request(String endpoint, String model, String version, int status, double seconds) {
    requests.computeIfAbsent(labels("endpoint", endpoint, "model", model, "version", version, "code", Integer.toString(status)),
        k -> new AtomicLong()).incrementAndGet();
    latency.computeIfAbsent(labels("endpoint", endpoint, "model", model, "version", version), k -> new Histogram(LATENCY_BUCKETS))
        .observe(seconds);
  }

  public void batch(String model, String version, int size) {
    batches.computeIfAbsent(labels("model", model, "version", version), k -> new Histogram(BATCH_BUCKETS)).observe(size);
  }

  public void queueDepth(String model, int depth) {
    queue.computeIfAbsent(labels("model", model), k -> new AtomicLong()).set(depth);
  }

  public void loadFailure(String model) {
    loadFailures.computeIfAbsent(labels("model", model), k -> new AtomicLong()).incrementAndGet();
  }

  public void rejected(String model) {
    rejected.computeIfAbsent(labels("model", model), k -> new AtomicLong()).incrementAndGet();
  }

  public String scrape() {
    StringBuilder sb = new StringBuilder();
    counter(sb, "ctnet_requests_total", "HTTP requests by endpoint, model, version and status code.", requests);
    histogram(sb, "ctnet_request_seconds", "Request latency.", latency);
    histogram(sb, "ctnet_batch_size", "Images per session run after micro-batching.", batches);
    gauge(sb, "ctnet_queue_images", "Images waiting for a session run.", queue);
    counter(sb, "ctnet_model_load_failures_total", "Model versions that failed to load.", loadFailures);
    counter(sb, "ctnet_rejected_requests_total", "Requests rejected because the queue was full.", rejected);
    return sb.toString();
  }

  private static void counter(StringBuilder sb, String name, String help, Map<String, AtomicLong> values) {
    sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n");
    new TreeMap<>(values).forEach((l, v) -> sb.append(name).append(l).append(' ').append(v.get()).append('\n'));
  }

  private static void gauge(StringBuilder sb, String name, String help, Map<String, AtomicLong> values) {
    sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n");
    new TreeMap<>(values).forEach((l, v) -> sb.append(name).append(l).append(' ').append(v.get()).append('\n'));
  }

  private static void histogram(StringBuilder sb, String name, String help, Map<String, Histogram> values) {
    sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" histogram\n");
    new TreeMap<>(values).forEach((l, h) -> {
      String inner = l.substring(1, l.length() - 1);
      for (int i = 0; i < h.bounds.length; i++) {
        sb.append(name).append("_bucket{").append(inner).append(",le=\"").append(h.bounds[i]).append("\"} ")
            .append(h.counts[i].get()).append('\n');
      }
      sb.append(name).append("_bucket{").append(inner).append(",le=\"+Inf\"} ").append(h.count.get()).append('\n');
      sb.append(name).append("_sum").append(l).append(' ').append(h.sum.sum()).append('\n');
      sb.append(name).append("_count").append(l).append(' ').append(h.count.get()).append('\n');
    });
  }
}
