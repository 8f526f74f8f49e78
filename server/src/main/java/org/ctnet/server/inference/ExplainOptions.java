package org.ctnet.server.inference;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.problem.ServingException;

/**
 * Explain request options: method, class index, heatmap grid size, overlay and its opacity,
 * flip smoothing, and whether the heatmap is restricted to the lung field.
 */
public record ExplainOptions(CamMethod method, JsonNode classIndex, int grid, boolean overlay, double opacity, boolean smooth,
    boolean lungs) {
  static ExplainOptions from(JsonNode body, NetworkSpec spec) {
    String methodName = body.path("method").asText(CamMethod.GRAD_CAM_PLUS_PLUS.key());
    CamMethod method;
    try {
      method = CamMethod.fromKey(methodName);
    } catch (IllegalArgumentException e) {
      throw ServingException.badRequest(e.getMessage());
    }
    int grid = body.path("grid").asInt(14);
    if (grid < 1 || grid > Math.max(spec.inputHeight(), spec.inputWidth())) {
      throw ServingException.badRequest("grid must be in [1, " + spec.inputHeight() + "], got " + grid);
    }
    double opacity = body.path("opacity").asDouble(0.5);
    if (!(opacity >= 0 && opacity <= 1)) {
      throw ServingException.badRequest("opacity must be in [0, 1], got " + opacity);
    }
    for (String flag : new String[] {"overlay", "smooth", "lungs"}) {
      if (body.has(flag) && !body.get(flag).isBoolean()) {
        throw ServingException.badRequest(flag + " must be true or false, got " + body.get(flag));
      }
    }
    return new ExplainOptions(method, body.get("class_index"), grid, body.path("overlay").asBoolean(false), opacity,
        body.path("smooth").asBoolean(false), body.path("lungs").asBoolean(false));
  }

  int[] classIndices(int n, int classes) {
    int[] out = new int[n];
    java.util.Arrays.fill(out, -1);
    if (classIndex == null || classIndex.isNull()) {
      return out;
    }
    if (classIndex.isInt()) {
      java.util.Arrays.fill(out, check(classIndex.asInt(), classes));
      return out;
    }
    if (classIndex.isArray() && classIndex.size() == n) {
      for (int i = 0; i < n; i++) {
        if (!classIndex.get(i).isInt()) {
          throw ServingException.badRequest("class_index entries must be integers");
        }
        out[i] = check(classIndex.get(i).asInt(), classes);
      }
      return out;
    }
    throw ServingException.badRequest("class_index must be an integer or a list with one per instance (" + n + ")");
  }

  private static int check(int c, int classes) {
    return ClassIndex.of((long) c, classes, "class_index");
  }
}

