package org.ctnet.server.observe;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Request tracing with OpenTelemetry: a W3C {@code traceparent} from the caller is honoured (the
 * server's span becomes its child) on REST and gRPC, and spans mark receive → decode → queue wait →
 * batch run (with the batch size) → explain → encode, and scans and PACS answers. Exported by OTLP as
 * the standard {@code OTEL_*} variables say; off (no-op, nothing recorded) unless they name an exporter
 * or endpoint. One tracing is installed per server process ({@link #install}).
 */
public final class Tracing implements AutoCloseable {
  public static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("ctnet.batch.size");
  public static final AttributeKey<Long> IMAGES = AttributeKey.longKey("ctnet.images");
  public static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  private static final String SCOPE = "org.ctnet.server";
  private static final Tracing OFF = new Tracing(OpenTelemetry.noop(), null);
  private static volatile Tracing current = OFF;

  private final OpenTelemetry otel;
  private final Tracer tracer;
  /** Null when the SDK is not ours to close. */
  private final OpenTelemetrySdk sdk;

  private Tracing(OpenTelemetry otel, OpenTelemetrySdk sdk) {
    this.otel = otel;
    this.sdk = sdk;
    this.tracer = otel.getTracer(SCOPE);
  }

  public static Tracing off() {
    return OFF;
  }

  /**
   * From the standard variables: on when {@code OTEL_TRACES_EXPORTER} (other than none) or an OTLP
   * endpoint is set and {@code OTEL_SDK_DISABLED} is not true; metrics and logs stay with Prometheus
   * and the server's own log.
   */
  public static Tracing fromEnvironment(Map<String, String> env) {
    boolean asked = env.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT") || env.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        || (env.containsKey("OTEL_TRACES_EXPORTER") && !"none".equals(env.get("OTEL_TRACES_EXPORTER")));
    if (!asked || "true".equalsIgnoreCase(env.get("OTEL_SDK_DISABLED"))) {
      return OFF;
    }
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of("otel.metrics.exporter", "none", "otel.logs.exporter", "none"))
        .addPropertiesCustomizer(p -> p.getString("otel.service.name") == null
            ? Map.of("otel.service.name", "ctnet-server") : Map.of())
        .disableShutdownHook()
        .build().getOpenTelemetrySdk();
    return new Tracing(sdk, sdk);
  }

  /** Spans exported to an OTLP/HTTP endpoint as each ends (tests, and a collector beside the server). */
  public static Tracing otlp(String tracesEndpoint) {
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().toBuilder().put("service.name", "ctnet-server").build())
        .addSpanProcessor(SimpleSpanProcessor.create(OtlpHttpSpanExporter.builder().setEndpoint(tracesEndpoint).build()))
        .build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
    return new Tracing(sdk, sdk);
  }

  /** Makes {@code tracing} the process's; closing the returned handle puts the previous one back. */
  public static AutoCloseable install(Tracing tracing) {
    Tracing previous = current;
    current = tracing;
    return () -> current = previous;
  }

  public static Tracing current() {
    return current;
  }

  public boolean enabled() {
    return sdk != null;
  }

  /** The caller's context from its headers (W3C traceparent/tracestate), or the root context. */
  public <C> Context extract(C carrier, Function<String, String> header) {
    if (!enabled()) {
      return Context.root();
    }
    return W3CTraceContextPropagator.getInstance().extract(Context.root(), carrier, new TextMapGetter<C>() {
      @Override
      public Iterable<String> keys(C c) {
        return java.util.List.of("traceparent", "tracestate");
      }

      @Override
      public String get(C c, String key) {
        return header.apply(key);
      }
    });
  }

  /** The span of a request received, child of the caller's context. */
  public Span server(String name, Context parent) {
    return tracer.spanBuilder(name).setSpanKind(SpanKind.SERVER).setParent(parent).startSpan();
  }

  /** A child of the current span. */
  public Span child(String name) {
    return tracer.spanBuilder(name).startSpan();
  }

  /** A span of {@code parent} that started at {@code start} (e.g. the time a job waited in the queue). */
  public Span childFrom(String name, Context parent, Instant start) {
    return tracer.spanBuilder(name).setParent(parent).setStartTimestamp(start).startSpan();
  }

  /** Runs {@code work} inside a child span of the current one. */
  public <T> T inSpan(String name, Supplier<T> work) {
    if (!enabled()) {
      return work.get();
    }
    Span span = child(name);
    try (var scope = span.makeCurrent()) {
      return work.get();
    } catch (RuntimeException e) {
      span.recordException(e);
      throw e;
    } finally {
      span.end();
    }
  }

  @Override
  public void close() {
    if (sdk != null) {
      sdk.getSdkTracerProvider().forceFlush().join(5, TimeUnit.SECONDS);
      sdk.close();
    }
  }
}
