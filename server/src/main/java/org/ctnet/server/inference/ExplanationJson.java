package org.ctnet.server.inference;

import org.ctnet.graph.runtime.Predictor;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import org.ctnet.graph.preprocess.LungField;
import org.ctnet.graph.render.HeatmapRenderer;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.LesionMaps;
import org.ctnet.graph.spec.NetworkSpec;

/** One image's explanation as JSON: the model's CAM, the heatmap grid, optional overlays and lung field. */
final class ExplanationJson {
  private ExplanationJson() {}

  static ObjectNode of(Predictor session, Explanation e, int i, float[] pixels, ExplainOptions options) {
    NetworkSpec spec = session.spec();
    Explanation.Maps maps = e.maps().get(options.method());
    ObjectNode x = Json.object();
    x.put("method", options.method().key());
    x.put("target_class", e.targetClass()[i]);
    x.put("target_label", session.assets().labels().get(e.targetClass()[i]));
    x.put("has_evidence", maps.hasEvidence()[i]);
    x.put("layer", spec.effectiveCamLayer());
    x.set("cam", Json.grid(maps.cam()[i], maps.camHeight(), maps.camWidth()));
    int hw = spec.inputShape().area();
    float[] grey = new float[hw];
    for (int p = 0; p < hw; p++) {
      grey[p] = pixels[(i * hw + p) * spec.inputChannels()];
    }
    float[] heat = maps.heatmap()[i];
    if (options.lungs()) {
      // Restricted by image processing, not by the model: said in the response; "cam" stays the model's.
      LungField field = LungField.find(grey, spec.inputWidth(), spec.inputHeight());
      heat = field.constrain(heat);
      ObjectNode lungs = x.putObject("lung_field");
      lungs.put("found", field.found());
      lungs.put("area_fraction", field.areaFraction());
    }
    float[][] grid = HeatmapRenderer.grid(heat, maps.width(), maps.height(), options.grid(), options.grid());
    x.set("heatmap", Json.matrix(grid));
    if (options.overlay()) {
      Base64.Encoder b64 = Base64.getEncoder();
      x.put("overlay_png", b64.encodeToString(HeatmapRenderer.png(grey, heat, spec.inputWidth(), spec.inputHeight(), options.opacity())));
      x.put("heatmap_png", b64.encodeToString(HeatmapRenderer.heatPng(heat, spec.inputWidth(), spec.inputHeight())));
      x.put("image_png", b64.encodeToString(HeatmapRenderer.greyPng(grey, spec.inputWidth(), spec.inputHeight())));
    }
    LesionMaps lesion = e.prediction().lesion();
    if (lesion != null) {
      ObjectNode l = lesionSummary(x.putObject("lesion"), lesion, i);
      if (options.overlay()) {
        Base64.Encoder b64 = Base64.getEncoder();
        l.put("overlay_png", b64.encodeToString(HeatmapRenderer.lesionPng(grey, lesion.lesionMaps()[i],
            lesion.width(), lesion.height(), options.opacity())));
        l.put("lesion_png", b64.encodeToString(HeatmapRenderer.lesionLayerPng(lesion.lesionMaps()[i], lesion.width(),
            lesion.height())));
      }
    }
    return x;
  }

  /** Image i's lung involvement and severity category, written into {@code target}. */
  static ObjectNode lesionSummary(ObjectNode target, LesionMaps lesion, int i) {
    target.put("lung_involvement", lesion.involvement()[i]);
    target.put("severity", lesion.severityOf(i).code());
    target.put("severity_meaning", lesion.severityOf(i).meaning());
    return target;
  }

}
