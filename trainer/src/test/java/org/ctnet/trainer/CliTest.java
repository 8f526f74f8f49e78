package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.SessionOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real CLI, in-process, end to end on a generated dataset. */
class CliTest {
  @TempDir static Path dir;
  static Path data;
  static Path models;

  record Run(int exitCode, String out, String err) {}

  static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setOut(o);
      System.setErr(e);
      var cli = org.ctnet.trainer.Main.commandLine();
      cli.setOut(new java.io.PrintWriter(o, true));
      cli.setErr(new java.io.PrintWriter(e, true));
      int code = cli.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /** The one training run every other test starts from (tests run in any order and share only it). */
  static Run trained;

  @BeforeAll
  static void trainVersionOne() throws IOException {
    data = SyntheticDataset.write(dir.resolve("data"), 96, 1, true);
    models = dir.resolve("models");
    trained = run("train", "--data", data.toString(), "--preset", "tiny", "--name", "blobs", "--models", models.toString(),
        "--run-dir", dir.resolve("run1").toString(), "--epochs", "2", "--batch-size", "8", "--lr", "0.01",
        "--augment-copies", "2", "--bootstrap", "50");
  }

  /** A private copy of the trained version 1: the versions a fine-tune adds beside it are seen by no other test. */
  static Path privateVersionOne(String name) throws IOException {
    return TestFiles.copyTree(models.resolve("blobs/1"), dir.resolve(name).resolve("blobs/1"));
  }


  @Test
  void trainExportsVersionOneWithReportAndSkipsTheCorruptFile() throws IOException {
    Run r = trained;
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("skipped 1 unreadable image") && r.out().contains("corrupt.png"), r.out());
    Path v1 = models.resolve("blobs/1");
    assertTrue(Files.isRegularFile(v1.resolve("saved_model.pb")));
    for (String f : List.of("report/report.html", "report/metrics.json", "report/test-roc.png", "report/test-pr.png",
        "report/test-scores.png", "report/test-reliability.png", "report/training-loss.png", "training.json")) {
      assertTrue(Files.isRegularFile(v1.resolve("assets.extra").resolve(f)), f);
    }
    assertTrue(Files.readString(dir.resolve("run1/split.csv")).startsWith("path,label,group,subset"));
    ModelAssets assets = ModelAssets.read(v1);
    assertEquals(List.of("non-covid", "covid"), assets.labels());
    assertTrue(assets.decision().chosenFor().contains("sensitivity"));
    assertNotNull(assets.scanDecision(), "a scan-level threshold is locked on validation groups");
    assertTrue(assets.scanDecision().chosenFor().contains("scans"), assets.scanDecision().chosenFor());
    assertTrue(r.out().contains("test — scans, mean of the top 20% slices"), r.out());
  }

  @Test
  void evaluateWritesMetricsJsonAndReport() throws IOException {
    Path out = dir.resolve("eval");
    Run r = run("evaluate", "--model", models.resolve("blobs").toString(), "--data", data.toString(),
        "--subset", "test", "--out", out.toString(), "--bootstrap", "50");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    String json = Files.readString(out.resolve("metrics.json"));
    for (String key : List.of("roc_auc", "pr_auc", "sensitivity", "specificity", "accuracy", "brier", "lower", "upper")) {
      assertTrue(json.contains("\"" + key + "\""), key);
    }
    assertTrue(Files.readString(out.resolve("report.html")).contains("data:image/png;base64,"));
    // The per-slice scores: a model compared with itself on them differs by exactly 0, its AUC the report's.
    List<String> scores = Files.readAllLines(out.resolve("scores.csv"));
    assertEquals("path,label,group,score,source", scores.getFirst());
    Run same = run("compare", out.resolve("scores.csv").toString(), out.resolve("scores.csv").toString(), "--bootstrap", "20");
    assertEquals(0, same.exitCode(), same.out() + same.err());
    double auc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get("evaluations").get(0).get("metrics")
        .get("roc_auc").get("value").asDouble();
    assertTrue(same.out().contains(String.format("| all | %d |", scores.size() - 1)), same.out());
    assertTrue(same.out().contains(String.format("%.3f [", auc)) && same.out().contains("+0.000 [+0.000, +0.000]"), same.out());
  }

  @Test
  void fineTuneWritesVersionTwoThatLoads() throws IOException {
    Path newData = SyntheticDataset.write(dir.resolve("hospital"), 48, 77, false);
    Path v1 = privateVersionOne("ft-models");
    Run r = run("fine-tune", "--model", v1.toString(), "--data", newData.toString(),
        "--reference", data.resolve("manifest.csv").toString(), "--epochs", "1", "--batch-size", "8", "--lr", "0.001",
        "--augment-copies", "1", "--bootstrap", "20", "--export-anyway", "--run-dir", dir.resolve("ft").toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("before fine-tuning: validation AUC") && r.out().contains("after fine-tuning:")
        && r.out().contains("reference (rehearsal)"), r.out());
    Path v2 = v1.resolveSibling("2");
    try (LoadedModel loaded = LoadedModel.load(v2, SessionOptions.DEFAULT)) {
      assertEquals(2, loaded.predict(new float[32 * 32], 1).probabilities()[0].length);
      assertTrue(loaded.assets().calibration().fittedOn().contains("validation"), loaded.assets().calibration().toString());
    }
    String training = Files.readString(v2.resolve("assets.extra/training.json"));
    assertTrue(training.contains("fine_tuned_from") && training.contains("\"referenceMix\" : 0.5")
        && training.contains("\"batchNorm\" : \"FROZEN\"") && training.contains("\"l2sp\" : 0.1"), training);
  }

  @Test
  void aFineTuneThatForgetsTheReferenceIsNotExported() throws IOException {
    // The new "hospital" labels every image the other way round: learning it, without rehearsal,
    // unlearns the reference source, and the command refuses to publish the result.
    Path inverted = SyntheticDataset.write(dir.resolve("inverted"), 48, 78, false);
    String manifest = Files.readString(inverted.resolve("manifest.csv"));
    StringBuilder swapped = new StringBuilder("path,label,group\n");
    for (String line : manifest.split("\n")) {
      String[] cols = line.split(",");
      if (cols[0].equals("path")) {
        continue;
      }
      swapped.append(cols[0]).append(',').append(cols[1].equals("covid") ? "non-covid" : "covid").append(',')
          .append(cols[2]).append('\n');
    }
    Files.writeString(inverted.resolve("manifest.csv"), swapped);
    Path v1 = privateVersionOne("ft-inverted-models");
    Run r = run("fine-tune", "--model", v1.toString(), "--data", inverted.toString(),
        "--reference", data.resolve("manifest.csv").toString(), "--reference-mix", "0", "--batch-norm", "train",
        "--epochs", "4", "--batch-size", "8", "--lr", "0.01", "--augment-copies", "1", "--patience", "0",
        "--bootstrap", "20", "--run-dir", dir.resolve("ft-inverted").toString());
    assertEquals(1, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("forgot the reference source") && r.out().contains("not exported"), r.out());
    assertEquals(1, ModelExport.latestVersion(v1.getParent()).orElse(0), "no new version");
  }

  @Test
  void everyCommandAnswersHelpWithoutAWarning() {
    var commands = org.ctnet.trainer.Main.commandLine().getSubcommands().keySet().stream()
        .filter(c -> !c.equals("help") && !c.equals("generate-completion")).toList();
    assertTrue(commands.containsAll(List.of("train", "fine-tune", "segment-eval", "input-check")), commands.toString());
    for (String command : commands) {
      Run r = run(command, "--help");
      assertEquals(0, r.exitCode(), command + ": " + r.out() + r.err());
      assertTrue(r.out().contains("Usage: ctnet " + command), command + ": " + r.out());
      // An unescaped % in a description makes picocli warn on every --help: the first thing a user sees.
      assertFalse(r.err().contains("WARN") || r.out().contains("WARN"), command + ": " + r.err());
    }
  }

  @Test
  void predictWritesOneRowPerImageAndReportsUnreadableOnes() throws IOException {
    Path csv = dir.resolve("pred.csv");
    Run r = run("predict", "--model", models.resolve("blobs").toString(), "--input", data.toString(),
        "--output", csv.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    List<String> lines = Files.readAllLines(csv);
    assertEquals(1 + 97, lines.size());
    assertTrue(lines.get(0).startsWith("path,probability_covid,label"));
    assertTrue(lines.stream().anyMatch(l -> l.contains("corrupt.png") && l.contains("not a PNG")));
  }

  @Test
  void oodFitFlagsTheStatedShareOfValidationAndPredictCarriesTheFlag() throws IOException {
    Path version = privateVersionOne("ood");
    Run fit = run("ood-fit", "--model", version.toString(), "--data", data.toString(), "--share", "0.1");
    assertEquals(0, fit.exitCode(), fit.out() + fit.err());
    var calibration = org.ctnet.graph.check.OutOfDistribution.Calibration.read(version).orElseThrow();
    assertEquals("energy", calibration.score(), "no lesion head: energy");
    assertTrue(calibration.share() > 0 && calibration.share() <= 0.1, calibration.toString());
    assertTrue(calibration.thresholds().containsKey("low_confidence"), calibration.toString());
    Path csv = dir.resolve("ood-pred.csv");
    Run r = run("predict", "--model", version.toString(), "--input", data.toString(), "--output", csv.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    List<String> lines = Files.readAllLines(csv);
    assertTrue(lines.get(0).endsWith(",input_check,ood_energy,ood_lesion_disagreement,ood_low_confidence"), lines.get(0));
    // Every row whose energy is above the fitted threshold carries the flag, and no other.
    int flagged = 0;
    for (String line : lines.subList(1, lines.size())) {
      if (line.contains("\"")) {
        continue; // an unreadable file: its quoted error holds commas, and it has no scores
      }
      String[] f = line.split(",", -1);
      double energy = Double.parseDouble(f[8]);
      if (Math.abs(energy - calibration.threshold()) < 1e-5) {
        continue; // the CSV's six decimals cannot tell which side of the threshold this one is
      }
      boolean above = energy > calibration.threshold();
      assertEquals(above, f[7].contains("out_of_distribution"), line);
      flagged += above ? 1 : 0;
    }
    assertTrue(flagged > 0, "the fitted flag fires on some of the data it was fitted on");
    Run bad = run("ood-fit", "--model", version.toString(), "--data", data.toString(), "--score",
        "lesion_disagreement");
    assertEquals(2, bad.exitCode(), bad.err());
    assertTrue(bad.err().contains("needs a model with a lesion head"), bad.err());
  }

  @Test
  void badUsageExitsTwoAndFailuresExitOneWithAMessage() {
    assertEquals(2, run("train").exitCode(), "missing --data");
    assertEquals(2, run("train", "--data", data.toString(), "--epochs", "many").exitCode());
    Run missing = run("evaluate", "--model", dir.resolve("nope").toString(), "--data", data.toString());
    assertEquals(1, missing.exitCode());
    assertTrue(missing.err().contains("no model at"), missing.err());
    Run strict = run("train", "--data", data.toString(), "--preset", "tiny", "--strict", "--epochs", "1",
        "--run-dir", dir.resolve("strict").toString(), "--no-export");
    assertEquals(1, strict.exitCode());
    assertTrue(strict.err().contains("unreadable image") && strict.err().contains("corrupt.png"), strict.err());
    Run again = run("train", "--data", data.toString(), "--preset", "tiny", "--epochs", "2",
        "--run-dir", dir.resolve("run1").toString(), "--no-export");
    assertEquals(1, again.exitCode());
    assertTrue(again.err().contains("--resume"), again.err());
  }

  @Test
  void predictScoresWholeScansFromDicomSeriesZipsAndFoldersOfSlices() throws Exception {
    Path scans = dir.resolve("scans");
    Files.createDirectories(scans.resolve("pngscan"));
    java.util.List<byte[]> dicom = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      for (String series : List.of("1.2.3.1", "1.2.3.2")) {
        byte[] file = org.ctnet.graph.testing.DicomFiles.write(org.ctnet.graph.testing.DicomFiles.Slice.axial(series, i,
            10.0 * i, org.ctnet.graph.testing.DicomFiles.chest(32, series.endsWith("1")), 32));
        Files.write(scans.resolve("IM" + series.charAt(series.length() - 1) + (5 - i)), file); // PACS files have no extension
        dicom.add(file);
      }
    }
    Files.write(scans.resolve("scout"), org.ctnet.graph.testing.DicomFiles.write(new org.ctnet.graph.testing.DicomFiles.Slice(
        "CT", "ORIGINAL\\PRIMARY\\LOCALIZER", "1.2.3", "1.2.3.9", 1, null, null, 32, 32, new short[32 * 32])));
    List<Path> pngs;
    try (var walk = Files.walk(data)) {
      pngs = walk.filter(p -> p.toString().endsWith(".png") && !p.toString().contains("corrupt")).sorted().limit(3).toList();
    }
    for (Path p : pngs) {
      Files.copy(p, scans.resolve("pngscan").resolve(p.getFileName()));
    }
    Run r = run("predict", "--model", models.resolve("blobs/1").toString(), "--input", scans.toString(), "--scans",
        "--output", dir.resolve("scan-slices.csv").toString(), "--scan-output", dir.resolve("scans.csv").toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    List<String> rows = Files.readAllLines(dir.resolve("scans.csv"));
    assertEquals(4, rows.size(), rows.toString());
    assertTrue(rows.stream().anyMatch(l -> l.startsWith("1.2.3.1,") && l.contains(",6,6,true,")), "lung series: " + rows);
    assertTrue(rows.stream().anyMatch(l -> l.startsWith("1.2.3.2,") && l.contains(",6,6,false,")),
        "no lung by HU: every slice used, and said: " + rows);
    assertTrue(rows.stream().anyMatch(l -> l.startsWith("pngscan,") && l.contains(",3,3,")), rows.toString());
    assertTrue(r.out().contains("skipped scout: a localiser"), r.out());
    String html = Files.readString(dir.resolve("scans.html"));
    assertEquals(3, html.split("<div class=\"strip\">", -1).length - 1, "a strip per scan");
    assertTrue(html.contains("data:image/png;base64,") && html.contains("gradcampp") && html.contains("a localiser"), html.substring(0, 300));
    List<String> slices = Files.readAllLines(dir.resolve("scan-slices.csv"));
    assertEquals(1 + 6 + 6 + 3 + 1, slices.size());
    List<String> order = slices.stream().filter(l -> l.startsWith("1.2.3.1,")).map(l -> l.split(",")[2]).toList();
    assertEquals(List.of("IM15", "IM14", "IM13", "IM12", "IM11", "IM10"), order, "ordered along the body axis");

    java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
    try (var zip = new java.util.zip.ZipOutputStream(zipped)) {
      for (int i = 0; i < dicom.size(); i++) {
        zip.putNextEntry(new java.util.zip.ZipEntry("series/" + i + ".dcm"));
        zip.write(dicom.get(i));
        zip.closeEntry();
      }
    }
    Path zipFile = dir.resolve("study.zip");
    Files.write(zipFile, zipped.toByteArray());
    Run z = run("predict", "--model", models.resolve("blobs/1").toString(), "--input", zipFile.toString(), "--scans",
        "--output", dir.resolve("zip-slices.csv").toString(), "--scan-output", dir.resolve("zip-scans.csv").toString());
    assertEquals(0, z.exitCode(), z.out() + z.err());
    assertEquals(3, Files.readAllLines(dir.resolve("zip-scans.csv")).size());
  }
}
