package org.ctnet.server.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import org.ctnet.server.inference.Json;
import org.ctnet.server.problem.Problem;

/** The one place where kinds of problem become HTTP statuses, with the headers that go with them. */
final class HttpErrors {
  private HttpErrors() {}

  static Status status(Problem problem) {
    return switch (problem) {
      case BAD_REQUEST -> Status.BAD_REQUEST_400;
      case UNAUTHORIZED -> Status.UNAUTHORIZED_401;
      case NOT_FOUND -> Status.NOT_FOUND_404;
      case METHOD_NOT_ALLOWED -> Status.METHOD_NOT_ALLOWED_405;
      case BODY_TIMEOUT -> Status.REQUEST_TIMEOUT_408;
      case TOO_LARGE -> Status.REQUEST_ENTITY_TOO_LARGE_413;
      case QUEUE_FULL, RATE_LIMITED -> Status.TOO_MANY_REQUESTS_429;
      case INTERNAL -> Status.INTERNAL_SERVER_ERROR_500;
      case UNAVAILABLE -> Status.SERVICE_UNAVAILABLE_503;
      case TIMEOUT -> Status.GATEWAY_TIMEOUT_504;
      case UNPROCESSABLE -> Status.UNPROCESSABLE_CONTENT_422;
    };
  }

  /**
   * Retry-After where retrying helps, the auth scheme on 401, and close where the body may be
   * left unread (the server would otherwise wait for the rest of it).
   */
  static void headers(Problem problem, ServerResponse res) {
    if (problem == Problem.QUEUE_FULL || problem == Problem.UNAVAILABLE || problem == Problem.RATE_LIMITED) {
      res.header(HeaderNames.RETRY_AFTER, "1");
    }
    if (problem == Problem.UNAUTHORIZED) {
      res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
    }
    if (leavesBodyUnread(problem)) {
      res.header(HeaderNames.CONNECTION, "close");
    }
  }

  static boolean leavesBodyUnread(Problem problem) {
    return problem == Problem.BODY_TIMEOUT || problem == Problem.UNAVAILABLE;
  }

  /** TF Serving's error body. */
  static byte[] body(String message) {
    return Json.bytes(Json.object().put("error", message == null ? "error" : message));
  }
}
