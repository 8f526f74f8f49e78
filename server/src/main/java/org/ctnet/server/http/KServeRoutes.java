package org.ctnet.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import org.ctnet.server.http.Endpoints.Access;
import org.ctnet.server.http.Endpoints.Call;
import org.ctnet.server.inference.Json;
import org.ctnet.server.inference.KServeJson;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;

/** KServe's Open Inference Protocol (v2) over REST: server and model metadata, readiness, infer. */
final class KServeRoutes implements HttpService {
  private final Endpoints endpoints;
  private final KServeJson inference;
  private final ModelRepository repository;

  KServeRoutes(Endpoints endpoints, KServeJson inference, ModelRepository repository) {
    this.endpoints = endpoints;
    this.inference = inference;
    this.repository = repository;
  }

  @Override
  public void routing(HttpRules rules) {
    rules.get(RestPaths.KSERVE_SERVER, endpoints.json("server_metadata", Access.TOKEN, r -> serverMetadata()));
    rules.get(RestPaths.KSERVE_LIVE, endpoints.json("live", Access.OPEN, r -> Json.object().put("live", true)));
    rules.get(RestPaths.KSERVE_READY, endpoints.json("ready", Access.OPEN, r -> endpoints.ready()));
    rules.get(RestPaths.KSERVE_MODELS + "/*", endpoints.json("kserve_get", Access.TOKEN, this::get));
    rules.post(RestPaths.KSERVE_MODELS + "/*", endpoints.json("kserve_infer", Access.TOKEN_AND_BODY, this::post));
  }

  /** OIP server metadata: name, version and the protocol extensions served. */
  private static JsonNode serverMetadata() {
    String version = KServeRoutes.class.getPackage().getImplementationVersion();
    ObjectNode out = Json.object().put("name", "ctnet-server").put("version", version == null ? "development" : version);
    out.putArray("extensions");
    return out;
  }

  private JsonNode get(Call call) {
    ModelPath t = ModelPath.after(call.path(), RestPaths.KSERVE_MODELS);
    return switch (t.tail()) {
      case "" -> inference.model(t.model(), t.version());
      case "ready" -> {
        // OIP model readiness, of the model or of one version (/v2/models/{m}/versions/{v}/ready).
        boolean ready = inference.ready(t.model(), t.version());
        ObjectNode out = Json.object().put("name", t.model()).put("ready", ready);
        if (t.version() != null) {
          out.put("version", t.version());
        }
        if (!ready) {
          throw new Endpoints.NotReady(out);
        }
        yield out;
      }
      default -> throw ServingException.notFound("unknown path " + call.path());
    };
  }

  /** KServe's binary tensor extension: the JSON header's length, before the binary data. */
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";

  private Object post(Call call) {
    ModelPath t = ModelPath.after(call.path(), RestPaths.KSERVE_MODELS);
    if (!t.tail().equals("infer")) {
      throw ServingException.notFound("expected POST /v2/models/{model}[/versions/{v}]/infer");
    }
    String declared = call.request().headers().first(io.helidon.http.HeaderNames.create(HEADER_LENGTH)).orElse(null);
    int headerLength = -1;
    if (declared != null) {
      try {
        headerLength = Integer.parseInt(declared.trim());
      } catch (NumberFormatException e) {
        headerLength = -2;
      }
      if (headerLength < 0) {
        throw ServingException.badRequest(HEADER_LENGTH + " must be a byte count, got '" + declared + "'");
      }
    }
    KServeJson.Answer answer = inference.infer(t.model(), t.version(), call.body(), headerLength);
    if (answer.binary().length == 0) {
      return answer.header();
    }
    byte[] header = Json.bytes(answer.header());
    byte[] body = java.util.Arrays.copyOf(header, header.length + answer.binary().length);
    System.arraycopy(answer.binary(), 0, body, header.length, answer.binary().length);
    return new Endpoints.Binary(body, "application/octet-stream", java.util.Map.of(HEADER_LENGTH,
        Integer.toString(header.length)));
  }
}
