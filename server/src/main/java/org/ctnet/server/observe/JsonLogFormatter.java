package org.ctnet.server.observe;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * Log records as JSON lines (time, level, logger, message, and the trace and span ids of the request
 * being served when tracing is on), for log pipelines that index fields. A thrown exception is reduced
 * to its class and message: no stack trace, no request body, no image bytes.
 */
public final class JsonLogFormatter extends Formatter {
  private static final JsonFactory JSON = new JsonFactory();

  @Override
  public String format(LogRecord record) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", Instant.ofEpochMilli(record.getMillis()).toString());
      g.writeStringField("level", record.getLevel().getName());
      g.writeStringField("logger", record.getLoggerName());
      g.writeStringField("message", formatMessage(record));
      SpanContext span = Span.current().getSpanContext();
      if (span.isValid()) {
        g.writeStringField("trace_id", span.getTraceId());
        g.writeStringField("span_id", span.getSpanId());
      }
      if (record.getThrown() != null) {
        g.writeStringField("error", record.getThrown().getClass().getName() + ": " + record.getThrown().getMessage());
      }
      g.writeEndObject();
    } catch (IOException e) {
      return "{\"level\":\"SEVERE\",\"message\":\"unformattable log record\"}\n";
    }
    return out.append('\n').toString();
  }
}
