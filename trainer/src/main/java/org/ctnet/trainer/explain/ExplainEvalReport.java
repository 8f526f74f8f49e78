package org.ctnet.trainer.explain;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * What {@code ctnet explain-eval} writes: {@code explain-metrics.json} (the summary and each map's
 * mean metrics) and {@code explain-eval.html} (the table and example overlays with mask outlines).
 */
public final class ExplainEvalReport {
  public static final String JSON_FILE = "explain-metrics.json";
  public static final String HTML_FILE = "explain-eval.html";

  private ExplainEvalReport() {}

  /**
   * The evaluation's setting and results. {@code methods} maps each map (CAM method, occlusion,
   * lung-restricted and fused variants, baselines) to its mean metrics by name.
   */
  public record Summary(
      String model,
      String data,
      String groups,
      @JsonProperty("orientation_fix_applied") boolean orientationFixApplied,
      int images,
      @JsonProperty("empty_masks_skipped") int emptyMasksSkipped,
      @JsonProperty("mean_mask_area_fraction") double meanMaskAreaFraction,
      @com.fasterxml.jackson.annotation.JsonIgnore String targetLabel,
      @com.fasterxml.jackson.annotation.JsonIgnore double meanTargetProbability,
      @JsonProperty("lung_field_found") int lungFieldFound,
      @JsonProperty("mean_lung_field_area_fraction") double meanLungFieldAreaFraction,
      @JsonProperty("top_fraction") double topFraction,
      @JsonProperty("removal_fraction") double removalFraction,
      @JsonProperty("explained_layer") String explainedLayer,
      @JsonProperty("fused_layers") List<String> fusedLayers,
      Map<String, Map<String, Double>> methods) {
    /** The mean probability of the explained class, named after it ({@code mean_probability_covid}). */
    @JsonAnyGetter
    public Map<String, Object> targetProbability() {
      return Map.of("mean_probability_" + targetLabel, meanTargetProbability);
    }
  }

  /** Writes both files into {@code dir}; {@code exampleRows} are the HTML rows of example overlays. */
  public static void write(Path dir, Summary summary, List<String> metricNames, String exampleRows) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(JSON_FILE).toFile(), summary);
    StringBuilder html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>Explanations vs masks</title>"
        + "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:3px;text-align:right}"
        + "img{width:160px}</style></head><body><h1>Heatmaps against infection masks</h1>");
    html.append(String.format("<p>%d images (%d empty masks skipped); mean infected area %.3f of the image; "
        + "top region = %.0f%% of pixels; faithfulness removes %.0f%% (drops in the class log-odds); occlusion maps the "
        + "log-odds drop.</p><table><tr><th>method</th>", summary.images(), summary.emptyMasksSkipped(),
        summary.meanMaskAreaFraction(), 100 * summary.topFraction(), 100 * summary.removalFraction()));
    for (String k : metricNames) {
      html.append("<th>").append(k).append("</th>");
    }
    html.append("</tr>");
    summary.methods().forEach((m, v) -> {
      html.append("<tr><td>").append(m).append("</td>");
      v.values().forEach(x -> html.append(String.format("<td>%.3f</td>", x)));
      html.append("</tr>");
    });
    String header = summary.methods().keySet().stream().map(m -> "<th>" + m + "</th>").reduce("", String::concat);
    html.append("</table><h2>Examples (white: mask outline)</h2><table><tr><th>image + mask</th>").append(header)
        .append("</tr>").append(exampleRows).append("</table></body></html>");
    Files.writeString(dir.resolve(HTML_FILE), html.toString(), StandardCharsets.UTF_8);
  }

  /** A PNG inlined as an HTML image. */
  public static String img(byte[] png) {
    return "<img src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\">";
  }
}
