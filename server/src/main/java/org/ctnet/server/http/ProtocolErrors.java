package org.ctnet.server.http;

import org.ctnet.server.problem.Problem;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Answers requests that fail before routing (a malformed request line, an illegal method token, a
 * header Helidon refuses) with the same JSON error body as every route, and as client errors where
 * the client's bytes are the cause: Helidon reports an illegal method token as an internal error
 * of a request it could not read at all.
 */
final class ProtocolErrors implements DirectHandler {
  private ProtocolErrors() {}

  static DirectHandlers handlers() {
    ProtocolErrors handler = new ProtocolErrors();
    DirectHandlers.Builder builder = DirectHandlers.builder();
    for (EventType type : EventType.values()) {
      builder.addHandler(type, handler);
    }
    return builder.build();
  }

  @Override
  public TransportResponse handle(TransportRequest request, EventType type, Status status,
      ServerResponseHeaders headers, String message) {
    if (type == EventType.INTERNAL_ERROR && request.method().isEmpty() && request.path().isEmpty()) {
      // Failed while reading the request line (Helidon passes no cause on this path): the client's bytes.
      return respond(HttpErrors.status(Problem.BAD_REQUEST), headers, "malformed request line (method, path or protocol)");
    }
    String text = type == EventType.INTERNAL_ERROR ? "internal error" : message == null ? status.reasonPhrase() : message;
    return respond(status, headers, text);
  }

  private static TransportResponse respond(Status status, ServerResponseHeaders headers, String message) {
    return TransportResponse.builder()
        .status(status)
        .headers(headers)
        .header(HeaderNames.CONTENT_TYPE, "application/json")
        .keepAlive(false)
        .entity(HttpErrors.body(AccessLog.printable(message)))
        .build();
  }
}
