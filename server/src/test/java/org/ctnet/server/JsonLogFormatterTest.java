package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.ctnet.server.observe.JsonLogFormatter;
import org.junit.jupiter.api.Test;

/** JSON log lines carry the current request's trace and span ids, and an exception without its stack. */
class JsonLogFormatterTest {
  @Test
  void aLineInsideASpanCarriesItsIds() throws Exception {
    // A provider with a processor: without one the SDK hands out non-recording, invalid spans.
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
        .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(
            io.opentelemetry.sdk.trace.export.SpanExporter.composite())).build()).build()) {
      var span = sdk.getTracer("test").spanBuilder("request").startSpan();
      String line;
      try (var scope = span.makeCurrent()) {
        LogRecord r = new LogRecord(Level.WARNING, "study {0} not answered yet");
        r.setParameters(new Object[] {"1.2.3"});
        r.setLoggerName("org.ctnet.server.pacs.StowService");
        r.setThrown(new java.io.IOException("connection refused"));
        line = new JsonLogFormatter().format(r);
      } finally {
        span.end();
      }
      var json = new ObjectMapper().readTree(line);
      assertEquals(span.getSpanContext().getTraceId(), json.get("trace_id").asText());
      assertEquals(span.getSpanContext().getSpanId(), json.get("span_id").asText());
      assertEquals("study 1.2.3 not answered yet", json.get("message").asText());
      assertEquals("java.io.IOException: connection refused", json.get("error").asText());
      assertFalse(line.contains("\tat "), "no stack trace");
      assertEquals(1, line.lines().count(), "one line");
    }
    var outside = new ObjectMapper().readTree(new JsonLogFormatter().format(new LogRecord(Level.INFO, "ready")));
    assertFalse(outside.has("trace_id"), "no span, no ids");
  }
}
