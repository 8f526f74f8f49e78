package org.ctnet.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.logging.Logger;

/**
 * HTTP routes: parses paths (TF Serving's {@code /v1/models/{m}[/versions/{v}|/labels/{l}]:verb}),
 * checks the token, reads bounded bodies, and maps every error to a status and an
 * {@code {"error": "..."}} body in one place.
 */
public final class HttpApi {
  /** Most bytes of a refused body read and dropped before answering 413. */
  private static final long DRAIN_LIMIT_BYTES = 64L << 20;
  private static final Logger ACCESS = Logger.getLogger("ctnet.access");
  private static final String JSON = "application/json";

  private final InferenceApi api;
  private final ServerSettings settings;
  private final Metrics metrics;

  public HttpApi(InferenceApi api, ServerSettings settings, Metrics metrics) {
    this.api = api;
    this.settings = settings;
    this.metrics = metrics;
  }

  /** Registers every route on {@code routing}. */
  public void register(HttpRouting.Builder routing) {
    routing.get(RestPaths.TFS_MODELS + "/*", (req, res) -> handle("tfs_get", req, res, false, this::tfsGet));
    routing.post(RestPaths.TFS_MODELS + "/*", (req, res) -> handle("tfs_post", req, res, true, this::tfsPost));
    routing.get(RestPaths.KSERVE_LIVE, (req, res) -> handle("live", req, res, false, r -> Json.object().put("live", true)));
    routing.get(RestPaths.KSERVE_READY, (req, res) -> handle("ready", req, res, false, r -> ready()));
    routing.get(RestPaths.KSERVE_MODELS + "/*", (req, res) -> handle("kserve_get", req, res, false, this::kserveGet));
    routing.post(RestPaths.KSERVE_MODELS + "/*", (req, res) -> handle("kserve_infer", req, res, true, this::kservePost));
    routing.post(RestPaths.IMAGE_API + "/*", (req, res) -> handle("image", req, res, true, this::imagePost));
    routing.get(RestPaths.IMAGE_API, (req, res) -> handle("models", req, res, false, r -> models()));
    routing.get(RestPaths.HEALTH_LIVE, (req, res) -> handle("live", req, res, false, r -> Json.object().put("status", "UP")));
    routing.get(RestPaths.HEALTH_READY, (req, res) -> handle("ready", req, res, false, r -> ready()));
    routing.get(RestPaths.METRICS, (req, res) -> res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4")
        .send(metrics.scrape()));
    routing.get(RestPaths.WEB_PAGE, (req, res) -> {
      try (InputStream page = HttpApi.class.getResourceAsStream("/web/index.html")) {
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8").send(page.readAllBytes());
      }
    });
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

  private void handle(String endpoint, ServerRequest req, ServerResponse res, boolean inference, Handler handler) {
    long start = System.nanoTime();
    RequestScope.begin();
    String path = req.path().path();
    int status = 200;
    String model = "";
    byte[] response;
    try {
      if (inference) {
        authorize(req);
      }
      byte[] body = inference ? readBody(req) : new byte[0];
      JsonNode out = handler.handle(new Call(path, body, req));
      response = Json.bytes(out);
    } catch (ReadyException e) {
      status = 503;
      response = Json.bytes(e.body);
    } catch (ApiException e) {
      status = e.status();
      response = error(e.getMessage());
    } catch (IllegalArgumentException e) {
      status = 400;
      response = error(e.getMessage());
    } catch (IOException e) {
      status = 400;
      response = error("could not read the request: " + e.getMessage());
    } catch (RuntimeException e) {
      status = 500;
      response = error("internal error: " + e);
      Logger.getLogger(HttpApi.class.getName()).log(java.util.logging.Level.WARNING, "request failed: " + path, e);
    }
    if (status == 429) {
      res.header(HeaderNames.RETRY_AFTER, "1");
    }
    if (status == 401) {
      res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
    }
    res.status(Status.create(status)).header(HeaderNames.CONTENT_TYPE, JSON).send(response);
    double seconds = (System.nanoTime() - start) / 1e9;
    String version = RequestScope.end();
    metrics.request(endpoint, modelOf(path), version, status, seconds);
    String line = String.format("%s %s %d %d bytes %.1f ms%s", req.prologue().method().text(), path, status,
        response.length, seconds * 1000, version.isEmpty() ? "" : " version " + version);
    ACCESS.info(line);
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
      throw new ApiException(401, "missing or wrong bearer token");
    }
  }

  private byte[] readBody(ServerRequest req) throws IOException {
    try {
      return readBodyOrFail(req);
    } catch (DataReader.InsufficientDataAvailableException | java.io.UncheckedIOException e) {
      throw ApiException.badRequest("the request body ended before its declared length (connection closed by the client?)");
    }
  }

  private byte[] readBodyOrFail(ServerRequest req) throws IOException {
    long declared = req.headers().contentLength().orElse(-1);
    try (InputStream in = req.content().inputStream()) {
      if (declared > settings.maxBodyBytes()) {
        drain(in);
        throw new ApiException(413, "request body of " + declared + " bytes exceeds the limit of " + settings.maxBodyBytes());
      }
      if (declared >= 0) {
        byte[] body = new byte[(int) declared]; // one copy, straight into an array of the right size
        int read = in.readNBytes(body, 0, body.length);
        if (read < body.length) {
          throw ApiException.badRequest("request body ended after " + read + " of " + declared + " bytes");
        }
        return body;
      }
      byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, settings.maxBodyBytes() + 1));
      if (body.length > settings.maxBodyBytes()) {
        drain(in);
        throw new ApiException(413, "request body exceeds the limit of " + settings.maxBodyBytes() + " bytes");
      }
      return body;
    }
  }

  /**
   * Reads and drops the rest of a refused body (up to a bound): closing a connection with unread
   * bytes makes the kernel reset it, and the client would lose the 413 it was sent.
   */
  private static void drain(InputStream in) throws IOException {
    long left = DRAIN_LIMIT_BYTES;
    while (left > 0) {
      long skipped = in.skip(left);
      if (skipped <= 0) {
        if (in.read() < 0) {
          return;
        }
        skipped = 1;
      }
      left -= skipped;
    }
  }

  private JsonNode ready() {
    ObjectNode out = Json.object().put("ready", api.repository().ready());
    if (!api.repository().ready()) {
      throw new ReadyException(out);
    }
    return out;
  }

  private JsonNode models() {
    return api.overview();
  }

  /** {m}[/versions/{v}|/labels/{l}][/metadata] or ...:verb */
  record Target(String model, String version, String label, String tail, String verb) {
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
    Target t = Target.parse(call.path().substring(RestPaths.TFS_MODELS.length() + 1));
    if (t.verb() != null) {
      throw new ApiException(405, "use POST for :" + t.verb());
    }
    return switch (t.tail()) {
      case "" -> api.status(t.model(), t.version(), t.label());
      case "metadata" -> api.metadata(t.model(), t.version(), t.label());
      default -> throw ApiException.notFound("unknown path " + call.path());
    };
  }

  private JsonNode tfsPost(Call call) {
    Target t = Target.parse(call.path().substring(RestPaths.TFS_MODELS.length() + 1));
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
    Target t = Target.parse(call.path().substring(RestPaths.KSERVE_MODELS.length() + 1));
    return switch (t.tail()) {
      case "" -> api.kserveModel(t.model(), t.version());
      case "ready" -> {
        boolean ready = api.repository().ready(t.model());
        ObjectNode out = Json.object().put("name", t.model()).put("ready", ready);
        if (!ready) {
          throw new ReadyException(out);
        }
        yield out;
      }
      default -> throw ApiException.notFound("unknown path " + call.path());
    };
  }

  private JsonNode kservePost(Call call) {
    Target t = Target.parse(call.path().substring(RestPaths.KSERVE_MODELS.length() + 1));
    if (!t.tail().equals("infer")) {
      throw ApiException.notFound("expected POST /v2/models/{model}[/versions/{v}]/infer");
    }
    return api.kserveInfer(t.model(), t.version(), call.body());
  }

  private JsonNode imagePost(Call call) throws IOException {
    Target t = Target.parse(call.path().substring(RestPaths.IMAGE_API.length() + 1));
    byte[] image = Multipart.imageFrom(call.request().headers().first(HeaderNames.CONTENT_TYPE).orElse(""), call.body());
    if (image.length == 0) {
      throw ApiException.badRequest("no image in the request body");
    }
    return switch (t.tail()) {
      case RestPaths.IMAGE_CLASSIFY -> api.classifyImage(t.model(), t.version(), image);
      case RestPaths.IMAGE_EXPLAIN -> {
        ObjectNode options = Json.object();
        for (String name : new String[] {"method", "grid", "opacity"}) {
          String v = call.query(name);
          if (v != null) {
            options.put(name, v);
          }
        }
        String cls = call.query("class_index");
        if (cls != null) {
          try {
            options.put("class_index", Integer.parseInt(cls));
          } catch (NumberFormatException e) {
            throw ApiException.badRequest("class_index must be an integer, got '" + cls + "'");
          }
        }
        if (options.has("grid")) {
          options.put("grid", parseInt(options.get("grid").asText(), "grid"));
        }
        if ("true".equals(call.query("smooth"))) {
          options.put("smooth", true);
        }
        if (options.has("opacity")) {
          options.put("opacity", parseDouble(options.get("opacity").asText(), "opacity"));
        }
        yield api.explainImage(t.model(), t.version(), image, options);
      }
      default -> throw ApiException.notFound("expected POST /api/models/{model}[/versions/{v}]/classify or /explain");
    };
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
