package org.ctnet.trainer.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Writes metrics.json, the PNG plots and one self-contained HTML report. */
public final class Report {
  public static final String METRICS_JSON = "metrics.json";
  public static final String HTML = "report.html";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
;

  private Report() {}

  /**
   * @param title heading of the report
   * @param evaluations evaluated sets (e.g. validation, test)
   * @param scores per set, positive-class scores and labels for the histograms
   * @param history training curves, or empty
   * @param details what metrics.json says besides the evaluations (model, data, configuration): a record
   *     or a map, written as its JSON members
   */
  public static void write(Path dir, String title, List<Evaluation> evaluations, Map<String, double[][]> scores,
      List<EpochRecord> history, Object details) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    Map<String, Object> json = new LinkedHashMap<>();
    JSON.convertValue(details, Map.class).forEach((k, v) -> json.put(String.valueOf(k), v));
    json.put("evaluations", evaluations);
    json.put("history", history);
    JSON.writeValue(dir.resolve(METRICS_JSON).toFile(), json);

    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").append(escape(title))
        .append("</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}"
            + "img{max-width:520px;margin:4px;border:1px solid #eee}</style></head><body>");
    html.append("<h1>").append(escape(title)).append("</h1>");
    for (Evaluation e : evaluations) {
      html.append("<h2>").append(escape(e.dataset())).append("</h2>");
      html.append(String.format("<p>%d images in %d groups; decision threshold on P(positive) = %.4f. "
          + "Intervals: 95%% bootstrap over groups.</p>", e.count(), e.groups(), e.threshold()));
      html.append("<table><tr><th>metric</th><th>value</th><th>95% CI</th></tr>");
      e.metrics().forEach((k, v) -> html.append(String.format("<tr><td>%s</td><td>%.4f</td><td>[%.4f, %.4f]</td></tr>",
          k, v.value(), v.lower(), v.upper())));
      Metrics.Confusion c = e.confusion();
      html.append(String.format("</table><p>Confusion at the threshold: TP %d, FP %d, TN %d, FN %d. "
          + "Brier %.4f, ECE %.4f.</p>", c.tp(), c.fp(), c.tn(), c.fn(), e.brier(), e.expectedCalibrationError()));
      String slug = e.dataset().replaceAll("[^A-Za-z0-9]+", "-").toLowerCase();
      html.append(image(dir, slug + "-roc.png", curve("ROC — " + e.dataset(), "false-positive rate", "true-positive rate",
          e.roc(), true)));
      html.append(image(dir, slug + "-pr.png", curve("Precision–recall — " + e.dataset(), "recall", "precision",
          e.pr(), false)));
      html.append(image(dir, slug + "-reliability.png", reliability(e)));
      double[][] s = scores.get(e.dataset());
      if (s != null) {
        html.append(image(dir, slug + "-scores.png", histogram(e.dataset(), s[0], s[1])));
      }
    }
    if (!history.isEmpty()) {
      html.append("<h2>Training curves</h2>");
      html.append(image(dir, "training-loss.png", training(history, true)));
      html.append(image(dir, "training-auc.png", training(history, false)));
    }
    html.append("<h2>Details</h2><pre>").append(escape(JSON.writeValueAsString(details))).append("</pre></body></html>");
    Files.writeString(dir.resolve(HTML), html.toString(), StandardCharsets.UTF_8);
  }

  private static String image(Path dir, String name, JFreeChart chart) throws IOException {
    byte[] png = ChartUtils.encodeAsPNG(chart.createBufferedImage(640, 480));
    Files.write(dir.resolve(name), png);
    return "<img alt=\"" + name + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\">";
  }

  private static JFreeChart curve(String title, String x, String y, List<Metrics.Point> points, boolean diagonal) {
    XYSeries series = new XYSeries(title, false);
    for (Metrics.Point p : points) {
      series.add(p.x(), p.y());
    }
    XYSeriesCollection data = new XYSeriesCollection(series);
    if (diagonal) {
      XYSeries chance = new XYSeries("chance");
      chance.add(0, 0);
      chance.add(1, 1);
      data.addSeries(chance);
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, x, y, data, PlotOrientation.VERTICAL, false, false, false);
    style(chart);
    return chart;
  }

  private static JFreeChart reliability(Evaluation e) {
    XYSeries observed = new XYSeries("observed");
    for (Metrics.Bin b : e.reliability()) {
      if (b.count() > 0) {
        observed.add(b.meanPredicted(), b.observed());
      }
    }
    XYSeries ideal = new XYSeries("ideal");
    ideal.add(0, 0);
    ideal.add(1, 1);
    JFreeChart chart = ChartFactory.createXYLineChart("Reliability — " + e.dataset(), "mean predicted probability",
        "observed positive rate", new XYSeriesCollection(List.of(observed, ideal).get(0)), PlotOrientation.VERTICAL,
        false, false, false);
    ((XYSeriesCollection) chart.getXYPlot().getDataset()).addSeries(ideal);
    style(chart);
    ((XYLineAndShapeRenderer) chart.getXYPlot().getRenderer()).setSeriesShapesVisible(0, true);
    return chart;
  }

  private static JFreeChart histogram(String dataset, double[] scores, double[] labels) {
    HistogramDataset data = new HistogramDataset();
    double[] pos = java.util.stream.IntStream.range(0, scores.length).filter(i -> labels[i] == 1).mapToDouble(i -> scores[i]).toArray();
    double[] neg = java.util.stream.IntStream.range(0, scores.length).filter(i -> labels[i] == 0).mapToDouble(i -> scores[i]).toArray();
    if (neg.length > 0) {
      data.addSeries("negative", neg, 20, 0, 1);
    }
    if (pos.length > 0) {
      data.addSeries("positive", pos, 20, 0, 1);
    }
    JFreeChart chart = ChartFactory.createHistogram("Predicted P(positive) — " + dataset, "probability", "images", data,
        PlotOrientation.VERTICAL, true, false, false);
    chart.getXYPlot().setForegroundAlpha(0.6f);
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  private static JFreeChart training(List<EpochRecord> history, boolean loss) {
    XYSeries a = new XYSeries(loss ? "train loss" : "train accuracy");
    XYSeries b = new XYSeries(loss ? "validation loss" : "validation AUC");
    for (EpochRecord r : history) {
      a.add(r.epoch(), loss ? r.trainLoss() : r.trainAccuracy());
      b.add(r.epoch(), loss ? r.validationLoss() : r.validationAuc());
    }
    XYSeriesCollection data = new XYSeriesCollection(a);
    data.addSeries(b);
    JFreeChart chart = ChartFactory.createXYLineChart(loss ? "Loss" : "Accuracy / AUC", "epoch", loss ? "loss" : "",
        data, PlotOrientation.VERTICAL, true, false, false);
    style(chart);
    return chart;
  }

  private static void style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.getRenderer().setSeriesStroke(0, new BasicStroke(2f));
  }

  public static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
