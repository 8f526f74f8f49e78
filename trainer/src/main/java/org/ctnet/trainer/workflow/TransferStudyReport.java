package org.ctnet.trainer.workflow;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ctnet.trainer.data.Csv;
import org.ctnet.trainer.eval.Report;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/** The transfer study's outputs: runs.csv, summary.csv, study.json, learning-curve.png and report.html. */
public final class TransferStudyReport {
  public static final String RUNS_CSV = "runs.csv";
  public static final String SUMMARY_CSV = "summary.csv";
  public static final String JSON = "study.json";
  public static final String PLOT = "learning-curve.png";
  public static final String HTML = "report.html";

  private TransferStudyReport() {}

  /** Mean and range over the repeats of one budget. */
  public record BudgetSummary(int patients, int repeats, double meanTestAuc, double minTestAuc, double maxTestAuc,
      double meanSpecificity, double meanSensitivity, double meanBrier, double meanEce, double meanReferenceAucAfter,
      double referenceAucBefore) {}

  public static List<BudgetSummary> summarise(List<TransferRun> runs) {
    Map<Integer, List<TransferRun>> byPatients = new TreeMap<>();
    runs.forEach(r -> byPatients.computeIfAbsent(r.patients(), k -> new ArrayList<>()).add(r));
    List<BudgetSummary> out = new ArrayList<>();
    byPatients.forEach((patients, rs) -> out.add(new BudgetSummary(patients, rs.size(),
        mean(rs, TransferRun::testAuc), rs.stream().mapToDouble(TransferRun::testAuc).min().orElse(Double.NaN),
        rs.stream().mapToDouble(TransferRun::testAuc).max().orElse(Double.NaN), mean(rs, TransferRun::specificity),
        mean(rs, TransferRun::sensitivity), mean(rs, TransferRun::brier), mean(rs, TransferRun::ece),
        mean(rs, TransferRun::referenceAucAfter), rs.get(0).referenceAucBefore())));
    return out;
  }

  private static double mean(List<TransferRun> rs, java.util.function.ToDoubleFunction<TransferRun> f) {
    return rs.stream().mapToDouble(f).average().orElse(Double.NaN);
  }

  public static void write(Path dir, String title, Map<String, Object> setup, List<TransferRun> runs) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(dir);
    List<BudgetSummary> summary = summarise(runs);
    Map<String, Object> json = new LinkedHashMap<>(setup);
    json.put("summary", summary);
    json.put("runs", runs);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(JSON).toFile(), json);

    StringBuilder csv = new StringBuilder("id,budget,patients,repeat,train_images,validation_images,test_images,test_auc,"
        + "test_auc_lower,test_auc_upper,sensitivity,specificity,threshold,threshold_rule,brier,ece,reference_auc_before,"
        + "reference_auc_after,temperature,validation_auc,best_epoch,problems,test_scan_auc\n");
    for (TransferRun r : runs) {
      csv.append(Csv.row(r.id(), r.budget(), r.patients(), r.repeat(), r.trainImages(), r.validationImages(),
          r.testImages(), f(r.testAuc()), f(r.testAucLower()), f(r.testAucUpper()), f(r.sensitivity()),
          f(r.specificity()), f(r.threshold()), r.thresholdRule(), f(r.brier()), f(r.ece()), f(r.referenceAucBefore()),
          f(r.referenceAucAfter()), f(r.temperature()), f(r.validationAuc()), r.bestEpoch(),
          String.join("; ", r.problems()), f(r.testScanAuc()))).append('\n');
    }
    Files.writeString(dir.resolve(RUNS_CSV), csv, StandardCharsets.UTF_8);
    StringBuilder sum = new StringBuilder("patients,repeats,mean_test_auc,min_test_auc,max_test_auc,mean_sensitivity,"
        + "mean_specificity,mean_brier,mean_ece,reference_auc_before,mean_reference_auc_after\n");
    for (BudgetSummary s : summary) {
      sum.append(Csv.row(s.patients(), s.repeats(), f(s.meanTestAuc()), f(s.minTestAuc()), f(s.maxTestAuc()),
          f(s.meanSensitivity()), f(s.meanSpecificity()), f(s.meanBrier()), f(s.meanEce()), f(s.referenceAucBefore()),
          f(s.meanReferenceAucAfter()))).append('\n');
    }
    Files.writeString(dir.resolve(SUMMARY_CSV), sum, StandardCharsets.UTF_8);

    byte[] png = ChartUtils.encodeAsPNG(chart(runs).createBufferedImage(760, 480));
    Files.write(dir.resolve(PLOT), png);
    StringBuilder html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(Report.escape(title)).append("</title><style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
            + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
            + "th{background:#f4f4f4}</style></head><body><h1>").append(Report.escape(title)).append("</h1><ul>");
    setup.forEach((k, v) -> html.append("<li><b>").append(Report.escape(k)).append("</b>: ")
        .append(Report.escape(String.valueOf(v))).append("</li>"));
    html.append("</ul><img alt=\"learning curve\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png)).append("\"><h2>By budget (mean over repeats)</h2><table><tr>"
            + "<th>patients</th><th>repeats</th><th>test ROC-AUC mean [min, max]</th><th>sensitivity</th>"
            + "<th>specificity</th><th>Brier</th><th>ECE</th><th>reference AUC before → after</th></tr>");
    for (BudgetSummary s : summary) {
      html.append(String.format("<tr><td>%d</td><td>%d</td><td>%.3f [%.3f, %.3f]</td><td>%.3f</td><td>%.3f</td>"
              + "<td>%.3f</td><td>%.3f</td><td>%.3f → %.3f</td></tr>", s.patients(), s.repeats(), s.meanTestAuc(),
          s.minTestAuc(), s.maxTestAuc(), s.meanSensitivity(), s.meanSpecificity(), s.meanBrier(), s.meanEce(),
          s.referenceAucBefore(), s.meanReferenceAucAfter()));
    }
    html.append("</table><h2>Every run</h2><table><tr><th>run</th><th>patients</th><th>train/val/test images</th>"
        + "<th>test ROC-AUC [95% CI]</th><th>per patient</th><th>sens. / spec. at threshold</th><th>threshold</th><th>T</th>"
        + "<th>reference AUC after</th><th>refused because</th></tr>");
    for (TransferRun r : runs) {
      html.append(String.format("<tr><td>%s</td><td>%d</td><td>%d/%d/%d</td><td>%.3f [%.3f, %.3f]</td><td>%.3f</td>"
              + "<td>%.3f / %.3f</td><td title=\"%s\">%.4f</td><td>%.2f</td><td>%.3f</td><td>%s</td></tr>", r.id(),
          r.patients(), r.trainImages(), r.validationImages(), r.testImages(), r.testAuc(), r.testAucLower(),
          r.testAucUpper(), r.testScanAuc(), r.sensitivity(), r.specificity(), Report.escape(r.thresholdRule()), r.threshold(),
          r.temperature(), r.referenceAucAfter(), Report.escape(String.join("; ", r.problems()))));
    }
    html.append("</table></body></html>");
    Files.writeString(dir.resolve(HTML), html, StandardCharsets.UTF_8);
  }

  private static JFreeChart chart(List<TransferRun> runs) {
    YIntervalSeries test = new YIntervalSeries("new source, test ROC-AUC (95% CI)");
    YIntervalSeries reference = new YIntervalSeries("reference source ROC-AUC");
    for (TransferRun r : runs) {
      // Repeats are spread a little along x so their intervals stay readable.
      double x = r.patients() + (r.repeat() - 1) * 0.6;
      test.add(x, r.testAuc(), r.testAucLower(), r.testAucUpper());
      if (!Double.isNaN(r.referenceAucAfter())) {
        reference.add(x, r.referenceAucAfter(), r.referenceAucAfter(), r.referenceAucAfter());
      }
    }
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    data.addSeries(test);
    if (reference.getItemCount() > 0) {
      data.addSeries(reference);
    }
    JFreeChart chart = ChartFactory.createScatterPlot("ROC-AUC vs labelled patients of the new source",
        "patients used for fine-tuning (0 = zero-shot)", "ROC-AUC", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    XYErrorRenderer renderer = new XYErrorRenderer();
    renderer.setDrawXError(false);
    renderer.setErrorStroke(new BasicStroke(1.2f));
    plot.setRenderer(renderer);
    plot.getRangeAxis().setRange(0.3, 1.0);
    chart.setBackgroundPaint(Color.WHITE);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    return chart;
  }

  private static String f(double v) {
    return Double.isNaN(v) ? "" : String.format(java.util.Locale.ROOT, "%.4f", v);
  }
}
