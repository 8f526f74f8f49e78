package org.ctnet.server.observe;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The server's Prometheus metrics on the Prometheus Java client: request counts and latency, batch
 * sizes after micro-batching, queue depth (the autoscaling signal), load failures and rejections,
 * plus the client's JVM and process metrics. One registry per server, so servers started in one
 * JVM (tests) do not share series.
 */
public final class Metrics {
  private static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64};
  private static final PrometheusTextFormatWriter TEXT = PrometheusTextFormatWriter.create();

  /** The Prometheus text exposition format this registry writes. */
  public static final String CONTENT_TYPE = TEXT.getContentType();

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests = Counter.builder().name("ctnet_requests_total")
      .help("HTTP requests by endpoint, model, version and status code.")
      .labelNames("endpoint", "model", "version", "code").register(registry);
  private final Histogram latency = Histogram.builder().name("ctnet_request_seconds").help("Request latency.")
      .unit(null).labelNames("endpoint", "model", "version").classicOnly().classicUpperBounds(LATENCY_BUCKETS)
      .register(registry);
  private final Histogram batches = Histogram.builder().name("ctnet_batch_size")
      .help("Images per session run after micro-batching.").labelNames("model", "version").classicOnly()
      .classicUpperBounds(BATCH_BUCKETS).register(registry);
  private final Gauge queue = Gauge.builder().name("ctnet_queue_images").help("Images waiting for a session run.")
      .labelNames("model").register(registry);
  private final Counter loadFailures = Counter.builder().name("ctnet_model_load_failures_total")
      .help("Model versions that failed to load.").labelNames("model").register(registry);
  private final Counter rejected = Counter.builder().name("ctnet_rejected_requests_total")
      .help("Requests rejected because the queue was full.").labelNames("model").register(registry);

  public Metrics() {
    JvmMetrics.builder().register(registry);
  }

  public void request(String endpoint, String model, String version, int status, double seconds) {
    requests.labelValues(endpoint, model, version, Integer.toString(status)).inc();
    latency.labelValues(endpoint, model, version).observe(seconds);
  }

  public void batch(String model, String version, int size) {
    batches.labelValues(model, version).observe(size);
  }

  public void queueDepth(String model, int depth) {
    queue.labelValues(model).set(depth);
  }

  public void loadFailure(String model) {
    loadFailures.labelValues(model).inc();
  }

  public void rejected(String model) {
    rejected.labelValues(model).inc();
  }

  /** Every metric in the text exposition format. */
  public byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16_384);
    try {
      TEXT.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }
}
