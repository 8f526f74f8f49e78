package org.ctnet.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.List;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImageTooLargeException;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.graph.scan.SeriesInputs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.logging.Logger;

/**
 * HTTP routes: parses paths (TF Serving's {@code /v1/models/{m}[/versions/{v}|/labels/{l}]:verb}),
 * checks the token, reads bounded bodies, and maps every error to a status and an
 * {@code {"error": "..."}} body in one place.
 */
public final class HttpApi {
  private static final Logger ACCESS = Logger.getLogger("ctnet.access");
  private static final String JSON = "application/json";

  private final InferenceApi api;
  private final ServerSettings settings;
  private final Metrics metrics;
  private final BodyReader uploads;
  /** Requests between routing and their response; shutdown waits for them. */
  private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean draining;

  public HttpApi(InferenceApi api, ServerSettings settings, Metrics metrics) {
    this.api = api;
    this.settings = settings;
    this.metrics = metrics;
    this.uploads = new BodyReader(settings.maxBodyBytes(), settings.maxConcurrentUploads(), settings.bodyTimeoutMillis());
  }

  /** Registers every route on {@code routing}. */
  public void register(HttpRouting.Builder routing) {
    routing.get(RestPaths.TFS_MODELS + "/*", (req, res) -> handle("tfs_get", req, res, Access.TOKEN, this::tfsGet));
    routing.post(RestPaths.TFS_MODELS + "/*", (req, res) -> handle("tfs_post", req, res, Access.TOKEN_AND_BODY, this::tfsPost));
    routing.get(RestPaths.KSERVE_SERVER, (req, res) -> handle("server_metadata", req, res, Access.TOKEN, r -> serverMetadata()));
    routing.get(RestPaths.KSERVE_LIVE, (req, res) -> handle("live", req, res, Access.OPEN, r -> Json.object().put("live", true)));
    routing.get(RestPaths.KSERVE_READY, (req, res) -> handle("ready", req, res, Access.OPEN, r -> ready()));
    routing.get(RestPaths.KSERVE_MODELS + "/*", (req, res) -> handle("kserve_get", req, res, Access.TOKEN, this::kserveGet));
    routing.post(RestPaths.KSERVE_MODELS + "/*", (req, res) -> handle("kserve_infer", req, res, Access.TOKEN_AND_BODY, this::kservePost));
    routing.post(RestPaths.IMAGE_API + "/*", (req, res) -> handle("image", req, res, Access.TOKEN_AND_BODY, this::imagePost));
    routing.get(RestPaths.IMAGE_API, (req, res) -> handle("models", req, res, Access.TOKEN, r -> models()));
    routing.get(RestPaths.HEALTH_LIVE, (req, res) -> handle("live", req, res, Access.OPEN, r -> Json.object().put("status", "UP")));
    routing.get(RestPaths.HEALTH_READY, (req, res) -> handle("ready", req, res, Access.OPEN, r -> ready()));
    routing.get(RestPaths.METRICS, (req, res) -> {
      if (!settings.metricsOpen()) {
        try {
          authorize(req);
        } catch (ApiException e) {
          res.status(Status.create(e.status())).header(HeaderNames.WWW_AUTHENTICATE, "Bearer")
              .header(HeaderNames.CONTENT_TYPE, JSON).send(error(e.getMessage()));
          return;
        }
      }
      res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4").send(metrics.scrape());
    });
    routing.get(RestPaths.WEB_PAGE, (req, res) -> {
      try (InputStream page = HttpApi.class.getResourceAsStream("/web/index.html")) {
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8").send(page.readAllBytes());
      }
    });
    // Last: whatever no route matched gets the same JSON 404 as an unknown model.
    routing.any((req, res) -> handle("unmatched", req, res, Access.OPEN, r -> {
      throw ApiException.notFound("no route for " + req.prologue().method().text() + " " + r.path());
    }));
  }

  /** One request's context for the handlers. */
  record Call(String path, byte[] body, ServerRequest request) {
    String query(String name) {
      return request.query().contains(name) ? request.query().get(name) : null;
    }
  }

  @FunctionalInterface
  interface Handler {
    JsonNode handle(Call call) throws IOException;
  }

  private static final class ReadyException extends RuntimeException {
    final JsonNode body;

    ReadyException(JsonNode body) {
      super("not ready");
      this.body = body;
    }
  }

  /** What a route needs before its handler runs. */
  enum Access {
    /** Health probes: never behind the token (orchestrators carry none). */
    OPEN,
    TOKEN,
    TOKEN_AND_BODY
  }

  private void handle(String endpoint, ServerRequest req, ServerResponse res, Access access, Handler handler) {
    inFlight.incrementAndGet();
    try {
      respond(endpoint, req, res, access, handler);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /**
   * Shutdown has begun: readiness answers 503 from now on (so load balancers stop sending), while
   * every route, readiness aside, keeps answering.
   */
  public void drain() {
    draining = true;
  }

  /** Waits until no request is in flight, at most {@code millis}; true if none is left. */
  public boolean awaitIdle(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (inFlight.get() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  private void respond(String endpoint, ServerRequest req, ServerResponse res, Access access, Handler handler) {
    long start = System.nanoTime();
    RequestScope.begin();
    String path = req.path().path();
    ApiException.Problem problem = null; // null: answered
    byte[] response;
    try {
      if (access != Access.OPEN) {
        authorize(req);
      }
      byte[] body = access == Access.TOKEN_AND_BODY ? uploads.read(req) : new byte[0];
      JsonNode out = handler.handle(new Call(path, body, req));
      response = Json.bytes(out);
    } catch (ReadyException e) {
      problem = ApiException.Problem.UNAVAILABLE;
      response = Json.bytes(e.body);
    } catch (ApiException e) {
      problem = e.problem();
      response = error(e.getMessage());
    } catch (IllegalArgumentException e) {
      problem = ApiException.Problem.BAD_REQUEST;
      response = error(e.getMessage());
    } catch (IOException e) {
      problem = ApiException.Problem.BAD_REQUEST;
      response = error("could not read the request: " + e.getMessage());
    } catch (RuntimeException e) {
      problem = ApiException.Problem.INTERNAL;
      response = error("internal error: " + e);
      Logger.getLogger(HttpApi.class.getName()).log(java.util.logging.Level.WARNING, "request failed: " + path, e);
    }
    int status = problem == null ? 200 : problem.status();
    if (problem == ApiException.Problem.QUEUE_FULL || problem == ApiException.Problem.UNAVAILABLE) {
      res.header(HeaderNames.RETRY_AFTER, "1");
    }
    if (problem == ApiException.Problem.UNAUTHORIZED) {
      res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
    }
    // The body may be unread: close rather than let the server wait for the rest of it.
    boolean bodyLeftUnread = problem == ApiException.Problem.BODY_TIMEOUT || problem == ApiException.Problem.UNAVAILABLE;
    if (bodyLeftUnread) {
      res.header(HeaderNames.CONNECTION, "close");
    }
    res.status(Status.create(status)).header(HeaderNames.CONTENT_TYPE, JSON).send(response);
    double seconds = (System.nanoTime() - start) / 1e9;
    String version = RequestScope.end();
    metrics.request(endpoint, metricsModel(path), version, status, seconds);
    String line = String.format("%s %s %d %d bytes %.1f ms%s", printable(req.prologue().method().text()),
        printable(path), status, response.length, seconds * 1000, version.isEmpty() ? "" : " version " + version);
    ACCESS.info(line);
    if (bodyLeftUnread) {
      // Otherwise Helidon waits for the rest of the body before the next request: close instead.
      throw new CloseConnectionException("request body left unread (" + status + ")");
    }
  }

  /** Client text for one log line: control characters (CR/LF would forge lines) escaped, length bounded. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), 512) + 8);
    for (int i = 0; i < text.length() && out.length() < 512; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    return text.length() > 512 ? out + "..." : out.toString();
  }

  /** A served model's name, else one shared label: clients must not be able to mint metric series. */
  private String metricsModel(String path) {
    String model = modelOf(path);
    return model.isEmpty() || api.repository().models().contains(model) ? model : "unknown";
  }

  private static String modelOf(String path) {
    for (String prefix : new String[] {RestPaths.TFS_MODELS + "/", RestPaths.KSERVE_MODELS + "/", RestPaths.IMAGE_API + "/"}) {
      if (path.startsWith(prefix)) {
        String rest = path.substring(prefix.length());
        int end = rest.length();
        for (char c : new char[] {'/', ':'}) {
          int i = rest.indexOf(c);
          if (i >= 0) {
            end = Math.min(end, i);
          }
        }
        String m = rest.substring(0, end);
        return ModelRepository.MODEL_NAME.matcher(m).matches() ? m : "invalid";
      }
    }
    return "";
  }

  static byte[] error(String message) {
    return Json.bytes(Json.object().put("error", message == null ? "error" : message));
  }

  private void authorize(ServerRequest req) {
    if (settings.bearerToken() == null) {
      return;
    }
    String header = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
    byte[] given = header.startsWith("Bearer ") ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
    if (!MessageDigest.isEqual(given, settings.bearerToken().getBytes(StandardCharsets.UTF_8))) {
      throw new ApiException(ApiException.Problem.UNAUTHORIZED, "missing or wrong bearer token");
    }
  }

  /** OIP server metadata: name, version and the protocol extensions served. */
  private static JsonNode serverMetadata() {
    String version = HttpApi.class.getPackage().getImplementationVersion();
    ObjectNode out = Json.object().put("name", "ctnet-server").put("version", version == null ? "development" : version);
    out.putArray("extensions");
    return out;
  }

  private JsonNode ready() {
    boolean ready = api.repository().ready() && !draining;
    ObjectNode out = Json.object().put("ready", ready);
    if (draining) {
      out.put("draining", true);
    }
    if (!ready) {
      throw new ReadyException(out);
    }
    return out;
  }

  private JsonNode models() {
    return api.overview();
  }

  /** {m}[/versions/{v}|/labels/{l}][/metadata] or ...:verb */
  record Target(String model, String version, String label, String tail, String verb) {
    /** The target after {@code prefix + "/"}; a path that ends at the prefix names no model (404). */
    static Target after(String path, String prefix) {
      if (path.length() <= prefix.length() + 1) {
        throw ApiException.notFound("missing model name: expected " + prefix + "/{model}...");
      }
      return parse(path.substring(prefix.length() + 1));
    }

    static Target parse(String rest) {
      String verb = null;
      int colon = rest.lastIndexOf(':');
      if (colon >= 0) {
        verb = rest.substring(colon + 1);
        rest = rest.substring(0, colon);
      }
      String[] parts = rest.split("/", -1);
      String model = parts[0];
      String version = null;
      String label = null;
      int i = 1;
      if (parts.length >= 3 && parts[1].equals("versions")) {
        version = parts[2];
        i = 3;
      } else if (parts.length >= 3 && parts[1].equals("labels")) {
        label = parts[2];
        i = 3;
      }
      String tail = i < parts.length ? String.join("/", java.util.Arrays.copyOfRange(parts, i, parts.length)) : "";
      if (model.isEmpty() || !ModelRepository.MODEL_NAME.matcher(model).matches()) {
        throw ApiException.notFound("invalid or missing model name in the path");
      }
      return new Target(model, version, label, tail, verb);
    }
  }

  private JsonNode tfsGet(Call call) {
    Target t = Target.after(call.path(), RestPaths.TFS_MODELS);
    if (t.verb() != null) {
      throw new ApiException(ApiException.Problem.METHOD_NOT_ALLOWED, "use POST for :" + t.verb());
    }
    return switch (t.tail()) {
      case "" -> api.status(t.model(), t.version(), t.label());
      case "metadata" -> api.metadata(t.model(), t.version(), t.label());
      default -> throw ApiException.notFound("unknown path " + call.path());
    };
  }

  private JsonNode tfsPost(Call call) {
    Target t = Target.after(call.path(), RestPaths.TFS_MODELS);
    if (!t.tail().isEmpty() || t.verb() == null) {
      throw ApiException.notFound("expected POST /v1/models/{model}[/versions/{v}|/labels/{l}]:predict or :explain");
    }
    return switch (t.verb()) {
      case RestPaths.VERB_PREDICT -> api.predict(t.model(), t.version(), t.label(), call.body());
      case RestPaths.VERB_EXPLAIN -> api.explain(t.model(), t.version(), t.label(), call.body());
      case "classify", "regress" -> throw ApiException.badRequest(":" + t.verb() + " is not supported; use :predict");
      default -> throw ApiException.notFound("unknown verb :" + t.verb());
    };
  }

  private JsonNode kserveGet(Call call) {
    Target t = Target.after(call.path(), RestPaths.KSERVE_MODELS);
    return switch (t.tail()) {
      case "" -> api.kserveModel(t.model(), t.version());
      case "ready" -> {
        // OIP model readiness, of the model or of one version (/v2/models/{m}/versions/{v}/ready).
        boolean ready = t.version() == null ? api.repository().ready(t.model())
            : api.repository().ready(t.model(), parseVersion(t.version()));
        ObjectNode out = Json.object().put("name", t.model()).put("ready", ready);
        if (t.version() != null) {
          out.put("version", t.version());
        }
        if (!ready) {
          throw new ReadyException(out);
        }
        yield out;
      }
      default -> throw ApiException.notFound("unknown path " + call.path());
    };
  }

  private static long parseVersion(String version) {
    try {
      return Long.parseLong(version);
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("a model version is an integer, got '" + version + "'");
    }
  }

  private JsonNode kservePost(Call call) {
    Target t = Target.after(call.path(), RestPaths.KSERVE_MODELS);
    if (!t.tail().equals("infer")) {
      throw ApiException.notFound("expected POST /v2/models/{model}[/versions/{v}]/infer");
    }
    return api.kserveInfer(t.model(), t.version(), call.body());
  }

  private JsonNode imagePost(Call call) throws IOException {
    Target t = Target.after(call.path(), RestPaths.IMAGE_API);
    String contentType = call.request().headers().first(HeaderNames.CONTENT_TYPE).orElse("");
    if (t.tail().equals(RestPaths.IMAGE_SCAN)) {
      return api.scan(t.model(), t.version(), scanFiles(contentType, call.body()), explainQuery(call));
    }
    byte[] image = Multipart.imageFrom(contentType, call.body());
    if (image.length == 0) {
      throw ApiException.badRequest("no image in the request body");
    }
    return switch (t.tail()) {
      case RestPaths.IMAGE_CLASSIFY -> api.classifyImage(t.model(), t.version(), image);
      case RestPaths.IMAGE_EXPLAIN -> api.explainImage(t.model(), t.version(), image, explainQuery(call));
      default -> throw ApiException.notFound("expected POST /api/models/{model}[/versions/{v}]/classify, /explain or /scan");
    };
  }

  /** Explanation options from the query: method, grid, opacity, class_index, smooth, lungs. */
  private static ObjectNode explainQuery(Call call) {
    ObjectNode options = Json.object();
    if (call.query("method") != null) {
      options.put("method", call.query("method"));
    }
    if (call.query("class_index") != null) {
      options.put("class_index", parseInt(call.query("class_index"), "class_index"));
    }
    if (call.query("grid") != null) {
      options.put("grid", parseInt(call.query("grid"), "grid"));
    }
    if (call.query("opacity") != null) {
      options.put("opacity", parseDouble(call.query("opacity"), "opacity"));
    }
    for (String flag : new String[] {"smooth", "lungs"}) {
      String value = call.query(flag);
      if (value != null && !value.equals("true") && !value.equals("false")) {
        throw ApiException.badRequest(flag + " must be true or false, got '" + value + "'");
      }
      if ("true".equals(value)) {
        options.put(flag, true);
      }
    }
    return options;
  }

  /**
   * The files of a scan upload: multipart parts, a zip (inflated within limits), a JSON
   * {@code {"slices": [{"b64": ...}, ...]}}, or one file.
   */
  private List<SeriesAssembler.Input> scanFiles(String contentType, byte[] body) {
    if (contentType.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
      return Multipart.files(contentType, body, InferenceApi.MAX_SCAN_FILES).stream()
          .map(f -> new SeriesAssembler.Input(f.name(), f.data())).toList();
    }
    if (SeriesInputs.looksLikeZip(body)) {
      try {
        // Inflated files are held while the scan is scored: the decode budget bounds them (zip bombs → 413).
        return SeriesInputs.fromZip(body, InferenceApi.MAX_SCAN_FILES, settings.decodeBudgetBytes());
      } catch (ImageTooLargeException e) {
        throw new ApiException(ApiException.Problem.TOO_LARGE, e.getMessage());
      } catch (ImageDecodeException e) {
        throw ApiException.badRequest(e.getMessage());
      }
    }
    if (contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      JsonNode slices = Json.parse(body).path("slices");
      if (!slices.isArray() || slices.isEmpty()) {
        throw ApiException.badRequest("expected {\"slices\": [{\"b64\": \"...\"}, ...]}");
      }
      if (slices.size() > InferenceApi.MAX_SCAN_FILES) {
        throw new ApiException(ApiException.Problem.TOO_LARGE, "more than " + InferenceApi.MAX_SCAN_FILES + " slices in one scan");
      }
      List<SeriesAssembler.Input> out = new java.util.ArrayList<>();
      for (JsonNode s : slices) {
        String b64 = s.path("b64").asText("");
        try {
          out.add(new SeriesAssembler.Input(s.path("name").asText("slice-" + out.size()), Base64.getDecoder().decode(b64)));
        } catch (IllegalArgumentException e) {
          throw ApiException.badRequest("slices[" + out.size() + "].b64 is not base64");
        }
      }
      return out;
    }
    return List.of(new SeriesAssembler.Input("upload", body));
  }

  private static int parseInt(String s, String name) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name + " must be an integer, got '" + s + "'");
    }
  }

  private static double parseDouble(String s, String name) {
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name + " must be a number, got '" + s + "'");
    }
  }
}
