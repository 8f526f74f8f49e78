package org.ctnet.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.io.IOException;
import java.io.InputStream;
import org.ctnet.server.http.Endpoints.Access;
import org.ctnet.server.http.Endpoints.Call;
import org.ctnet.server.inference.Json;
import org.ctnet.server.pacs.StowService;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

/**
 * STOW-RS under {@value RestPaths#DICOMWEB_STUDIES} (a PACS forwards studies here) and the studies
 * answered lately under {@value RestPaths#PACS_STUDIES}. Bodies are streamed into the spool, not
 * read whole: a study may be far larger than the body limit of the other routes.
 */
final class PacsRoutes implements HttpService {
  private final Endpoints endpoints;
  /** Null when no PACS is configured. */
  private final StowService stow;

  PacsRoutes(Endpoints endpoints, StowService stow) {
    this.endpoints = endpoints;
    this.stow = stow;
  }

  @Override
  public void routing(HttpRules rules) {
    rules.post(RestPaths.DICOMWEB_STUDIES, endpoints.json("stow", Access.TOKEN, call -> store(call, null)));
    rules.post(RestPaths.DICOMWEB_STUDIES + "/{study}", endpoints.json("stow", Access.TOKEN,
        call -> store(call, call.request().path().pathParameters().get("study"))));
    rules.get(RestPaths.PACS_STUDIES, endpoints.json("pacs", Access.TOKEN, call -> answered()));
    rules.post(RestPaths.PACS_STUDIES + "/{study}/answer", endpoints.json("pacs", Access.TOKEN,
        call -> answerNow(call.request().path().pathParameters().get("study"))));
  }

  private StowService stow() {
    if (stow == null) {
      throw new ServingException(Problem.UNAVAILABLE, "STOW-RS is off: set ctnet.pacs.url (CTNET_PACS_URL, "
          + "--pacs-url) to the PACS the results go to");
    }
    return stow;
  }

  private Object store(Call call, String studyUid) throws IOException {
    StowService service = stow();
    if (studyUid != null && !studyUid.matches("[0-9.]{1,64}")) {
      throw ServingException.badRequest("not a StudyInstanceUID: the path must end in /studies/{digits and dots}");
    }
    String type = call.request().headers().first(HeaderNames.CONTENT_TYPE).orElse("");
    try (InputStream body = call.request().content().inputStream()) {
      StowService.StoreResponse r = service.store(body, type, studyUid);
      return new Endpoints.WithStatus(r.status(), r.body(), "application/dicom+json");
    } catch (java.io.UncheckedIOException e) {
      throw ServingException.badRequest("the STOW-RS body ended early (connection closed by the sender?)");
    }
  }

  private JsonNode answered() {
    StowService service = stow();
    ObjectNode out = Json.object();
    out.put("pending_studies", service.pendingStudies());
    ArrayNode studies = out.putArray("answered");
    for (StowService.Answered a : service.recent()) {
      ObjectNode s = studies.addObject().put("study_instance_uid", a.studyUid()).put("at", a.at().toString())
          .put("objects_stored", a.objects()).put("report_sop_instance_uid", a.reportUid());
      a.verdicts().forEach(s.putArray("verdicts")::add);
    }
    return out;
  }

  private JsonNode answerNow(String studyUid) {
    if (!stow().answerNow(studyUid)) {
      throw ServingException.notFound("no study " + studyUid + " is waiting in the spool");
    }
    return Json.object().put("study_instance_uid", studyUid).put("status", "scoring");
  }
}
