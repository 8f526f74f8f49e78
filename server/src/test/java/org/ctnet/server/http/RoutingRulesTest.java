package org.ctnet.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumMap;
import java.util.Map;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;
import org.junit.jupiter.api.Test;

/** The HTTP layer's own rules, without a model: statuses of problems and the model paths of both protocols. */
class RoutingRulesTest {
  @Test
  void everyProblemHasTheStatusClientsOfTfServingAndKServeExpect() {
    Map<Problem, Integer> expected = new EnumMap<>(Problem.class);
    expected.put(Problem.BAD_REQUEST, 400);
    expected.put(Problem.UNAUTHORIZED, 401);
    expected.put(Problem.NOT_FOUND, 404);
    expected.put(Problem.METHOD_NOT_ALLOWED, 405);
    expected.put(Problem.BODY_TIMEOUT, 408);
    expected.put(Problem.TOO_LARGE, 413);
    expected.put(Problem.QUEUE_FULL, 429);
    expected.put(Problem.RATE_LIMITED, 429);
    expected.put(Problem.INTERNAL, 500);
    expected.put(Problem.UNAVAILABLE, 503);
    expected.put(Problem.TIMEOUT, 504);
    expected.put(Problem.UNPROCESSABLE, 422);
    assertEquals(Problem.values().length, expected.size(), "a new kind of problem needs its status here");
    expected.forEach((problem, status) -> assertEquals(status, HttpErrors.status(problem).code(), problem.name()));
  }

  @Test
  void modelPathsOfBothProtocols() {
    assertEquals(new ModelPath("ctnet", "2", null, "", "predict"), ModelPath.after("/v1/models/ctnet/versions/2:predict", RestPaths.TFS_MODELS));
    assertEquals(new ModelPath("ctnet", null, "stable", "metadata", null),
        ModelPath.after("/v1/models/ctnet/labels/stable/metadata", RestPaths.TFS_MODELS));
    assertEquals(new ModelPath("ctnet", "1", null, "ready", null), ModelPath.after("/v2/models/ctnet/versions/1/ready", RestPaths.KSERVE_MODELS));
    ModelPath plain = ModelPath.after("/v2/models/ctnet/infer", RestPaths.KSERVE_MODELS);
    assertEquals("infer", plain.tail());
    assertNull(plain.version());
    for (String bad : new String[] {"/v1/models", "/v1/models/", "/v1/models/../x:predict", "/v1/models/a%2Fb"}) {
      ServingException e = assertThrows(ServingException.class, () -> ModelPath.after(bad, RestPaths.TFS_MODELS), bad);
      assertEquals(Problem.NOT_FOUND, e.problem(), bad);
    }
    assertEquals("ctnet", ModelPath.modelOf("/api/models/ctnet/classify"));
    assertEquals("invalid", ModelPath.modelOf("/v1/models/..:predict"));
    assertEquals("", ModelPath.modelOf("/metrics"));
  }
}
