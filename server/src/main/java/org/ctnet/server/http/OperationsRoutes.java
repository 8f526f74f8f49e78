package org.ctnet.server.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.io.InputStream;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.http.Endpoints.Access;
import org.ctnet.server.inference.Json;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.problem.ServingException;

/** For operators: health probes, the Prometheus scrape and the web page. */
final class OperationsRoutes implements HttpService {
  private final Endpoints endpoints;
  private final Metrics metrics;
  private final ServerSettings settings;

  OperationsRoutes(Endpoints endpoints, Metrics metrics, ServerSettings settings) {
    this.endpoints = endpoints;
    this.metrics = metrics;
    this.settings = settings;
  }

  @Override
  public void routing(HttpRules rules) {
    rules.get(RestPaths.HEALTH_LIVE, endpoints.json("live", Access.OPEN, r -> Json.object().put("status", "UP")));
    rules.get(RestPaths.HEALTH_READY, endpoints.json("ready", Access.OPEN, r -> endpoints.ready()));
    rules.get(RestPaths.METRICS, (req, res) -> {
      if (!settings.metricsOpen()) {
        try {
          endpoints.authorize(req);
        } catch (ServingException e) {
          Endpoints.sendProblem(res, e);
          return;
        }
      }
      res.header(HeaderNames.CONTENT_TYPE, Metrics.CONTENT_TYPE).send(metrics.scrape());
    });
    rules.get(RestPaths.WEB_PAGE, (req, res) -> {
      try (InputStream page = OperationsRoutes.class.getResourceAsStream("/web/index.html")) {
        res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8").send(page.readAllBytes());
      }
    });
  }
}
