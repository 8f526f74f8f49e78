package org.ctnet.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import org.ctnet.server.http.Endpoints.Access;
import org.ctnet.server.http.Endpoints.Call;
import org.ctnet.server.inference.TfServingJson;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

/** TF Serving's REST API under {@value RestPaths#TFS_MODELS}: status, metadata, :predict, :explain. */
final class TfServingRoutes implements HttpService {
  private final Endpoints endpoints;
  private final TfServingJson inference;

  TfServingRoutes(Endpoints endpoints, TfServingJson inference) {
    this.endpoints = endpoints;
    this.inference = inference;
  }

  @Override
  public void routing(HttpRules rules) {
    rules.get(RestPaths.TFS_MODELS + "/*", endpoints.json("tfs_get", Access.TOKEN, this::get));
    rules.post(RestPaths.TFS_MODELS + "/*", endpoints.json("tfs_post", Access.TOKEN_AND_BODY, this::post));
  }

  private JsonNode get(Call call) {
    ModelPath t = ModelPath.after(call.path(), RestPaths.TFS_MODELS);
    if (t.verb() != null) {
      throw new ServingException(Problem.METHOD_NOT_ALLOWED, "use POST for :" + t.verb());
    }
    return switch (t.tail()) {
      case "" -> inference.status(t.model(), t.version(), t.label());
      case "metadata" -> inference.metadata(t.model(), t.version(), t.label());
      default -> throw ServingException.notFound("unknown path " + call.path());
    };
  }

  private JsonNode post(Call call) {
    ModelPath t = ModelPath.after(call.path(), RestPaths.TFS_MODELS);
    if (!t.tail().isEmpty() || t.verb() == null) {
      throw ServingException.notFound("expected POST /v1/models/{model}[/versions/{v}|/labels/{l}]:predict or :explain");
    }
    return switch (t.verb()) {
      case RestPaths.VERB_PREDICT -> inference.predict(t.model(), t.version(), t.label(), call.body());
      case RestPaths.VERB_EXPLAIN -> inference.explain(t.model(), t.version(), t.label(), call.body());
      case "classify", "regress" -> throw ServingException.badRequest(":" + t.verb() + " is not supported; use :predict");
      default -> throw ServingException.notFound("unknown verb :" + t.verb());
    };
  }
}
