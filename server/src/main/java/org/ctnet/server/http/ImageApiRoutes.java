package org.ctnet.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImageTooLargeException;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.graph.scan.SeriesInputs;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.http.Endpoints.Access;
import org.ctnet.server.http.Endpoints.Call;
import org.ctnet.server.inference.ImageInference;
import org.ctnet.server.inference.ScanUploads;
import org.ctnet.server.inference.Json;
import org.ctnet.server.inference.TfServingJson;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

/**
 * The image API under {@value RestPaths#IMAGE_API}: raw or multipart uploads classified, explained
 * (options in the query) or scored as a scan (multipart, zip, JSON slices or one file).
 */
final class ImageApiRoutes implements HttpService {
  private final Endpoints endpoints;
  private final ImageInference inference;
  private final TfServingJson status;
  private final ServerSettings settings;
  private final ScanUploads uploads;

  ImageApiRoutes(Endpoints endpoints, ImageInference inference, TfServingJson status, ServerSettings settings) {
    this.endpoints = endpoints;
    this.inference = inference;
    this.status = status;
    this.settings = settings;
    // A scan's files wait on disk; one scan may hold as much as the decode budget lets it score.
    this.uploads = ScanUploads.inTemporaryFolder(Math.max(settings.maxBodyBytes(), 4 * settings.decodeBudgetBytes()));
  }

  @Override
  public void routing(HttpRules rules) {
    rules.post(RestPaths.IMAGE_API + "/*", endpoints.json("image", Access.TOKEN_AND_BODY, this::post));
    rules.get(RestPaths.IMAGE_API, endpoints.json("models", Access.TOKEN, r -> status.overview()));
    rules.post(RestPaths.SCAN_UPLOADS, endpoints.json("scan_upload", Access.TOKEN,
        call -> Json.object().put("upload", uploads.create()).put("expires_after_idle_seconds",
            ScanUploads.IDLE_MILLIS / 1000)));
    rules.post(RestPaths.SCAN_UPLOADS + "/{id}/files", endpoints.json("scan_upload", Access.TOKEN_AND_BODY, call -> {
      if (call.body().length == 0) {
        throw ServingException.badRequest("no file in the request body");
      }
      long[] sofar = uploads.add(call.request().path().pathParameters().get("id"), call.query("name"), call.body());
      return Json.object().put("files", sofar[0]).put("bytes", sofar[1]);
    }));
    rules.delete(RestPaths.SCAN_UPLOADS + "/{id}", endpoints.json("scan_upload", Access.TOKEN, call -> {
      uploads.remove(call.request().path().pathParameters().get("id"));
      return Json.object().put("removed", true);
    }));
  }

  private JsonNode post(Call call) {
    ModelPath t = ModelPath.after(call.path(), RestPaths.IMAGE_API);
    String contentType = call.request().headers().first(HeaderNames.CONTENT_TYPE).orElse("");
    if (t.tail().equals(RestPaths.IMAGE_SCAN)) {
      String upload = call.query("upload");
      if (upload != null) {
        // A scan uploaded file by file: scored from disk, then removed (also when scoring fails).
        try {
          return inference.scan(t.model(), t.version(), uploads.files(upload), explainQuery(call));
        } finally {
          uploads.remove(upload);
        }
      }
      return inference.scan(t.model(), t.version(), scanFiles(contentType, call.body()), explainQuery(call));
    }
    byte[] image = Multipart.imageFrom(contentType, call.body());
    if (image.length == 0) {
      throw ServingException.badRequest("no image in the request body");
    }
    boolean strict = flag(call, "strict");
    return switch (t.tail()) {
      case RestPaths.IMAGE_CLASSIFY -> inference.classifyImage(t.model(), t.version(), image, strict);
      case RestPaths.IMAGE_EXPLAIN -> inference.explainImage(t.model(), t.version(), image, explainQuery(call), strict);
      default -> throw ServingException.notFound("expected POST /api/models/{model}[/versions/{v}]/classify, /explain or /scan");
    };
  }

  /** A true/false query flag (absent = false); anything else is refused. */
  private static boolean flag(Call call, String name) {
    String value = call.query(name);
    if (value != null && !value.equals("true") && !value.equals("false")) {
      throw ServingException.badRequest(name + " must be true or false, got '" + value + "'");
    }
    return "true".equals(value);
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
        throw ServingException.badRequest(flag + " must be true or false, got '" + value + "'");
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
    String type = contentType.toLowerCase(Locale.ROOT);
    if (type.startsWith("multipart/form-data")) {
      return Multipart.files(contentType, body, ImageInference.MAX_SCAN_FILES).stream()
          .map(f -> new SeriesAssembler.Input(f.name(), f.data())).toList();
    }
    if (SeriesInputs.looksLikeZip(body)) {
      try {
        // Inflated files are held while the scan is scored: the decode budget bounds them (zip bombs → 413).
        return SeriesInputs.fromZip(body, ImageInference.MAX_SCAN_FILES, settings.decodeBudgetBytes());
      } catch (ImageTooLargeException e) {
        throw new ServingException(Problem.TOO_LARGE, e.getMessage());
      } catch (ImageDecodeException e) {
        throw ServingException.badRequest(e.getMessage());
      }
    }
    if (type.startsWith("application/json")) {
      JsonNode slices = Json.parse(body).path("slices");
      if (!slices.isArray() || slices.isEmpty()) {
        throw ServingException.badRequest("expected {\"slices\": [{\"b64\": \"...\"}, ...]}");
      }
      if (slices.size() > ImageInference.MAX_SCAN_FILES) {
        throw new ServingException(Problem.TOO_LARGE, "more than " + ImageInference.MAX_SCAN_FILES + " slices in one scan");
      }
      List<SeriesAssembler.Input> out = new ArrayList<>();
      for (JsonNode s : slices) {
        String b64 = s.path("b64").asText("");
        try {
          out.add(new SeriesAssembler.Input(s.path("name").asText("slice-" + out.size()), Base64.getDecoder().decode(b64)));
        } catch (IllegalArgumentException e) {
          throw ServingException.badRequest("slices[" + out.size() + "].b64 is not base64");
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
      throw ServingException.badRequest(name + " must be an integer, got '" + s + "'");
    }
  }

  private static double parseDouble(String s, String name) {
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw ServingException.badRequest(name + " must be a number, got '" + s + "'");
    }
  }
}
