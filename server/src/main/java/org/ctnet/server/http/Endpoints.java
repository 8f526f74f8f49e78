package org.ctnet.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.inference.Json;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.RequestScope;

/**
 * What every JSON endpoint does around its handler: the token check, a bounded body read, one
 * mapping of exceptions to statuses, request metrics, the access log, and the in-flight count that
 * graceful shutdown waits on.
 */
final class Endpoints {
  private static final Logger ACCESS = Logger.getLogger("ctnet.access");
  private static final String JSON = "application/json";

  private final ServerSettings settings;
  private final Metrics metrics;
  private final ModelRepository repository;
  private final BodyReader uploads;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean draining;

  private final org.ctnet.server.security.ClientRates rates;

  Endpoints(ServerSettings settings, Metrics metrics, ModelRepository repository) {
    this(settings, metrics, repository, org.ctnet.server.security.ClientRates.OFF);
  }

  Endpoints(ServerSettings settings, Metrics metrics, ModelRepository repository,
      org.ctnet.server.security.ClientRates rates) {
    this.rates = rates;
    this.settings = settings;
    this.metrics = metrics;
    this.repository = repository;
    this.uploads = new BodyReader(settings.maxBodyBytes(), settings.maxConcurrentUploads(), settings.bodyTimeoutMillis());
  }

  /** One request's context for the handlers. */
  record Call(String path, byte[] body, ServerRequest request) {
    String query(String name) {
      return request.query().contains(name) ? request.query().get(name) : null;
    }
  }

  /**
   * An endpoint's logic: a JSON response body (or a {@link Binary} one), or an exception that says
   * what went wrong.
   */
  @FunctionalInterface
  interface JsonHandler {
    Object handle(Call call) throws IOException;
  }

  /** A response that is not plain JSON (KServe's binary tensor extension): its bytes, type and headers. */
  record Binary(byte[] body, String contentType, java.util.Map<String, String> headers) {}

  /** A JSON answer with a status other than 200 (STOW-RS: 202 when some instances failed, 409 when all did). */
  record WithStatus(int status, JsonNode body, String contentType) {}

  /** What a route needs before its handler runs. */
  enum Access {
    /** Health probes: never behind the token (orchestrators carry none). */
    OPEN,
    TOKEN,
    TOKEN_AND_BODY
  }

  /** A readiness answer that is not ready: its body goes out with a 503. */
  static final class NotReady extends RuntimeException {
    final transient JsonNode body;

    NotReady(JsonNode body) {
      super("not ready");
      this.body = body;
    }
  }

  /** A Helidon handler for a JSON endpoint named {@code endpoint} in the metrics. */
  Handler json(String endpoint, Access access, JsonHandler handler) {
    return (req, res) -> {
      inFlight.incrementAndGet();
      try {
        respond(endpoint, req, res, access, handler);
      } finally {
        inFlight.decrementAndGet();
      }
    };
  }

  /**
   * Shutdown has begun: readiness answers 503 from now on (so load balancers stop sending), while
   * every route, readiness aside, keeps answering.
   */
  void drain() {
    draining = true;
  }

  /** Waits until no request is in flight, at most {@code millis}; true if none is left. */
  boolean awaitIdle(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (inFlight.get() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** Server readiness: a model loaded and not draining; 503 with the same body otherwise. */
  JsonNode ready() {
    boolean ready = repository.ready() && !draining;
    ObjectNode out = Json.object().put("ready", ready);
    if (draining) {
      out.put("draining", true);
    }
    if (!ready) {
      throw new NotReady(out);
    }
    return out;
  }

  /** A header giving how long the caller will wait, in milliseconds (as gRPC clients give a deadline). */
  static final String REQUEST_TIMEOUT_HEADER = "X-Request-Timeout";

  private static void deadline(ServerRequest req) {
    var header = req.headers().first(HeaderNames.create(REQUEST_TIMEOUT_HEADER));
    if (header.isPresent()) {
      try {
        long millis = Long.parseLong(header.get().strip());
        if (millis <= 0) {
          throw new NumberFormatException();
        }
        RequestScope.deadlineIn(millis);
      } catch (NumberFormatException e) {
        throw ServingException.badRequest(REQUEST_TIMEOUT_HEADER + " must be a positive number of milliseconds, got '"
            + header.get() + "'");
      }
    }
  }

  /** The client a request counts against: its token, else its certificate's subject, else its address. */
  private static String client(ServerRequest req) {
    String header = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
    String token = header.startsWith("Bearer ") ? header.substring(7).trim() : null;
    String certificate = req.remotePeer().tlsPrincipal().map(java.security.Principal::getName).orElse(null);
    return org.ctnet.server.security.ClientRates.clientOf(token, certificate, req.remotePeer().host());
  }

  /** Throws UNAUTHORIZED unless the request carries the configured bearer token (or none is configured). */
  void authorize(ServerRequest req) {
    if (settings.bearerToken() == null) {
      return;
    }
    String header = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
    byte[] given = header.startsWith("Bearer ") ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
    if (!MessageDigest.isEqual(given, settings.bearerToken().getBytes(StandardCharsets.UTF_8))) {
      throw new ServingException(Problem.UNAUTHORIZED, "missing or wrong bearer token");
    }
  }

  /** A problem answered outside a JSON endpoint (e.g. the metrics scrape): status, headers, error body. */
  static void sendProblem(ServerResponse res, ServingException e) {
    HttpErrors.headers(e.problem(), res);
    res.status(HttpErrors.status(e.problem())).header(HeaderNames.CONTENT_TYPE, JSON).send(HttpErrors.body(e.getMessage()));
  }

  private void respond(String endpoint, ServerRequest req, ServerResponse res, Access access, JsonHandler handler) {
    org.ctnet.server.observe.Tracing tracing = org.ctnet.server.observe.Tracing.current();
    io.opentelemetry.api.trace.Span span = tracing.server(req.prologue().method().text() + " " + endpoint,
        tracing.extract(req, name -> req.headers().first(HeaderNames.create(name)).orElse(null)));
    try (var scope = span.makeCurrent()) {
      respondTraced(endpoint, req, res, access, handler, span);
    } finally {
      span.end();
    }
  }

  private void respondTraced(String endpoint, ServerRequest req, ServerResponse res, Access access,
      JsonHandler handler, io.opentelemetry.api.trace.Span span) {
    long start = System.nanoTime();
    RequestScope.begin();
    String path = req.path().path();
    Problem problem = null; // null: answered
    byte[] response;
    String contentType = JSON;
    int okStatus = 200;
    try {
      if (access != Access.OPEN) {
        authorize(req);
        String client = client(req);
        rates.take(client);
        if (rates.limitsImages()) {
          RequestScope.chargeImagesTo(images -> rates.takeImages(client, images));
        }
      }
      deadline(req);
      byte[] body = access == Access.TOKEN_AND_BODY ? uploads.read(req) : new byte[0];
      Object answer = handler.handle(new Call(path, body, req));
      if (answer instanceof Binary b) {
        response = b.body();
        contentType = b.contentType();
        b.headers().forEach((name, value) -> res.header(HeaderNames.create(name), value));
      } else if (answer instanceof WithStatus w) {
        response = org.ctnet.server.observe.Tracing.current().inSpan("encode", () -> Json.bytes(w.body()));
        contentType = w.contentType();
        okStatus = w.status();
      } else {
        response = org.ctnet.server.observe.Tracing.current().inSpan("encode", () -> Json.bytes((JsonNode) answer));
      }
    } catch (NotReady e) {
      problem = Problem.UNAVAILABLE;
      response = Json.bytes(e.body);
    } catch (ServingException e) {
      problem = e.problem();
      response = HttpErrors.body(e.getMessage());
    } catch (IllegalArgumentException e) {
      problem = Problem.BAD_REQUEST;
      response = HttpErrors.body(e.getMessage());
    } catch (IOException e) {
      problem = Problem.BAD_REQUEST;
      response = HttpErrors.body("could not read the request: " + e.getMessage());
    } catch (RuntimeException e) {
      problem = Problem.INTERNAL;
      response = HttpErrors.body("internal error: " + e);
      Logger.getLogger(Endpoints.class.getName()).log(Level.WARNING, "request failed: " + path, e);
    }
    int status = problem == null ? okStatus : HttpErrors.status(problem).code();
    span.setAttribute(org.ctnet.server.observe.Tracing.STATUS, (long) status);
    if (problem != null) {
      HttpErrors.headers(problem, res);
    }
    res.status(status).header(HeaderNames.CONTENT_TYPE, problem == null ? contentType : JSON).send(response);
    double seconds = (System.nanoTime() - start) / 1e9;
    String version = RequestScope.end();
    metrics.request(endpoint, metricsModel(path), version, status, seconds);
    ACCESS.info(String.format("%s %s %d %d bytes %.1f ms%s", AccessLog.printable(req.prologue().method().text()),
        AccessLog.printable(path), status, response.length, seconds * 1000, version.isEmpty() ? "" : " version " + version));
    if (problem != null && HttpErrors.leavesBodyUnread(problem)) {
      // Otherwise Helidon waits for the rest of the body before the next request: close instead.
      throw new CloseConnectionException("request body left unread (" + status + ")");
    }
  }

  private String metricsModel(String path) {
    return repository.metricLabel(ModelPath.modelOf(path));
  }
}
