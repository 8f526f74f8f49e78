package org.ctnet.trainer.workflow;

import org.ctnet.graph.runtime.Predictor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.render.HeatmapRenderer;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.scan.ScanScorer;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.trainer.eval.Report;

/**
 * The HTML scan report of {@code ctnet predict --scans}: per scan the verdict, the slice scores as a
 * strip along the body axis (top slices red, slices without lung grey), and the top slices with their
 * Grad-CAM++ overlays; then what was left out and why. One self-contained file (images inline).
 */
public final class ScanReport {

  private ScanReport() {}

  public static void write(Path html, Predictor session, List<ScanScorer.ScanResult> scans,
      List<SeriesAssembler.Skipped> skipped) throws IOException {
    write(html, session, scans, skipped, "CT-Net scan verdicts", name -> null);
  }

  /**
   * As {@link #write(Path, Predictor, List, List)} with a title and, per scan, its known label
   * (null when unknown) shown beside the verdict: a validation report the hospital can check.
   */
  public static void write(Path html, Predictor session, List<ScanScorer.ScanResult> scans,
      List<SeriesAssembler.Skipped> skipped, String title, java.util.function.Function<String, String> knownLabel)
      throws IOException {
    ModelAssets assets = session.assets();
    CamMethod method = session.camMethods().contains(CamMethod.GRAD_CAM_PLUS_PLUS) ? CamMethod.GRAD_CAM_PLUS_PLUS
        : session.camMethods().get(0);
    int w = assets.spec().inputWidth();
    int h = assets.spec().inputHeight();
    StringBuilder out = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>CT-Net scans</title>"
        + "<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2rem auto}"
        + ".strip{display:flex;align-items:flex-end;height:80px;gap:1px;border-bottom:1px solid #888}"
        + ".strip div{flex:1;background:#3b7ddd;min-width:1px}.strip .off{background:#bbb}.strip .top{background:#d33}"
        + "figure{display:inline-block;margin:.3rem;font-size:.8rem}img{width:224px;height:224px}</style></head><body>"
        + "<h1>" + Report.escape(title) + "</h1><p>Research software, not a medical device: not for diagnosis.</p>");
    for (ScanScorer.ScanResult r : scans) {
      out.append("<h2>").append(Report.escape(r.name())).append(": ")
          .append(Report.escape(assets.labels().get(r.positive() ? assets.positiveClass() : 0)))
          .append(knownLabel.apply(r.name()) == null ? "" : " (labelled " + Report.escape(knownLabel.apply(r.name())) + ")")
          .append("</h2>");
      out.append(String.format("<p>P = %.4f by %s of %d of %d slices; threshold %.4f (%s)%s</p>", r.probability(),
          Report.escape(r.decision().rule().description()), r.used().length, r.sources().size(), r.decision().threshold(),
          Report.escape(r.decision().chosenFor()), r.lungFound() ? "" : "; no slice showed lung, every slice was used"));
      if (r.hasInvolvement()) {
        out.append(String.format("<p>Lung involvement %.1f%% of the lung volume: %s (%s); input check: %s (%d usable "
            + "slices). Bars shaded by each slice's involvement (white → magenta at 25%%).</p>", 100 * r.involvement(),
            r.severity().code(), Report.escape(r.severity().meaning()), r.inputCheck(), r.usableSlices()));
      }
      double max = Math.max(1e-6, java.util.Arrays.stream(r.sliceProbabilities()).max().orElse(1));
      java.util.Set<Integer> top = java.util.Arrays.stream(r.top()).boxed().collect(java.util.stream.Collectors.toSet());
      out.append("<div class=\"strip\">");
      for (int i = 0; i < r.sources().size(); i++) {
        String shade = r.hasInvolvement() && r.lung()[i] && !top.contains(i) ? ";background:" + involvementShade(
            r.sliceInvolvement()[i]) + ";outline:1px solid #ccc" : "";
        out.append(String.format("<div class=\"%s\" style=\"height:%.0f%%%s\" title=\"%s: %.4f%s\"></div>",
            top.contains(i) ? "top" : r.lung()[i] ? "" : "off", 100 * r.sliceProbabilities()[i] / max, shade,
            Report.escape(r.sources().get(i)), r.sliceProbabilities()[i],
            r.hasInvolvement() ? String.format(", involvement %.4f", r.sliceInvolvement()[i]) : ""));
      }
      out.append("</div>");
      int n = r.explainedCount();
      float[] batch = r.explainedBatch();
      int[] classes = new int[n];
      java.util.Arrays.fill(classes, assets.positiveClass());
      Explanation e = session.explain(batch, n, classes);
      for (int i = 0; i < n; i++) {
        float[] grey = new float[h * w];
        for (int p = 0; p < grey.length; p++) {
          grey[p] = batch[(i * h * w + p) * assets.spec().inputChannels()];
        }
        byte[] png = HeatmapRenderer.png(grey, e.maps().get(method).heatmap()[i], w, h, 0.5);
        out.append("<figure><img alt=\"\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
            .append("\"><figcaption>").append(Report.escape(r.sources().get(r.top()[i])))
            .append(String.format(": %.4f (%s)", r.sliceProbabilities()[r.top()[i]], method.key())).append("</figcaption></figure>");
      }
    }
    if (!skipped.isEmpty()) {
      out.append("<h2>Left out</h2><ul>");
      for (SeriesAssembler.Skipped s : skipped) {
        out.append("<li>").append(Report.escape(s.source())).append(": ").append(Report.escape(s.reason())).append("</li>");
      }
      out.append("</ul>");
    }
    Files.writeString(html, out.append("</body></html>"), StandardCharsets.UTF_8);
  }

  /** White at no involvement to the lesion colour (magenta) at 25% of the lung and above, as on the web page. */
  static String involvementShade(double involvement) {
    double t = Math.max(0, Math.min(1, involvement / 0.25));
    int colour = HeatmapRenderer.LESION_COLOUR;
    int r = (int) Math.round(255 - t * (255 - ((colour >> 16) & 0xff)));
    int g = (int) Math.round(255 - t * (255 - ((colour >> 8) & 0xff)));
    int b = (int) Math.round(255 - t * (255 - (colour & 0xff)));
    return String.format("rgb(%d,%d,%d)", r, g, b);
  }
}
