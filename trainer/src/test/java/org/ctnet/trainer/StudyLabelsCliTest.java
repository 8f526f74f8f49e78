package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.SyntheticImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ctnet fine-tune --studies --labels}: a hospital's studies with one diagnosis each, end to end. */
class StudyLabelsCliTest {
  @TempDir static Path dir;
  static Path base;

  @BeforeAll
  static void trainABase() throws IOException {
    Path data = SyntheticDataset.write(dir.resolve("data"), 64, 3, false);
    Path models = dir.resolve("models");
    CliTest.Run r = CliTest.run("train", "--data", data.toString(), "--preset", "tiny", "--name", "blobs", "--models",
        models.toString(), "--run-dir", dir.resolve("base-run").toString(), "--epochs", "2", "--batch-size", "8",
        "--lr", "0.01", "--augment-copies", "1", "--bootstrap", "20");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    base = models.resolve("blobs/1");
  }

  /** A private copy of the base, so the versions a fine-tune adds are seen by no other test. */
  private static Path copyOfBase(String name) throws IOException {
    return TestFiles.copyTree(base, dir.resolve(name).resolve("blobs/1"));
  }


  /**
   * Studies of PNG slices, one folder each: a COVID study holds 6 slices of which 2 show the blob
   * (most of a COVID scan shows no lesion), a non-COVID study 6 plain slices.
   */
  static void writeStudies(Path root, int perClass, long seed) throws IOException {
    SyntheticImages.Batch images = SyntheticImages.blobs(perClass * 12 * 2, 32, seed);
    int nextPositive = 1;
    int nextNegative = 0;
    for (int s = 0; s < 2 * perClass; s++) {
      boolean covid = s % 2 == 0;
      Path study = root.resolve(String.format("study-%02d", s));
      Files.createDirectories(study);
      for (int k = 0; k < 6; k++) {
        boolean blob = covid && (k == 2 || k == 3);
        int image = blob ? nextPositive : nextNegative;
        if (blob) {
          nextPositive += 2;
        } else {
          nextNegative += 2;
        }
        Files.write(study.resolve(String.format("slice-%02d.png", k)), SyntheticImages.png(images.image(image), 32, 32));
      }
    }
  }

  static Path labels(Path root, int studies, String extraRows) throws IOException {
    StringBuilder csv = new StringBuilder("study,label,group\n");
    for (int s = 0; s < studies; s++) {
      csv.append(String.format("study-%02d,%s,patient-%02d%n", s, s % 2 == 0 ? "covid" : "non-covid", s));
    }
    Path file = root.resolveSibling(root.getFileName() + "-labels.csv");
    Files.writeString(file, csv + extraRows);
    return file;
  }

  @Test
  void oneCommandGivesAServedVersionWhoseScanThresholdWasLockedOnTheHospitalsStudies() throws IOException {
    Path studies = dir.resolve("hospital");
    writeStudies(studies, 10, 21);
    Path labels = labels(studies, 20, "");
    Path v1 = copyOfBase("studies-models");
    Path run = dir.resolve("ft-studies");
    CliTest.Run r = CliTest.run("fine-tune", "--model", v1.toString(), "--studies", studies.toString(), "--labels",
        labels.toString(), "--validation-fraction", "0.3", "--test-fraction", "0.2", "--epochs", "2", "--batch-size",
        "12", "--lr", "0.001", "--augment-copies", "1", "--bootstrap", "20", "--export-anyway", "--run-dir",
        run.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("studies: 20 usable") && r.out().contains("validation (")
        && r.out().contains(" studies)") && r.out().contains(" study "), r.out());
    Path v2 = v1.resolveSibling("2");
    ModelAssets assets = ModelAssets.read(v2);
    assertNotNull(assets.scanDecision());
    assertTrue(assets.scanDecision().chosenFor().contains("studies"), assets.scanDecision().chosenFor());
    assertTrue(assets.decision().chosenFor().contains("no slice labels"), assets.decision().chosenFor());
    assertTrue(assets.calibration().fittedOn().contains("validation studies"), assets.calibration().fittedOn());
    try (LoadedModel served = LoadedModel.load(v2, SessionOptions.DEFAULT)) {
      assertEquals(assets.scanDecision().threshold(), served.assets().effectiveScanDecision().threshold());
    }
    String training = Files.readString(v2.resolve("assets.extra/training.json"));
    assertTrue(training.contains("\"studies\"") && training.contains("\"pooling\" : \"LSE\""), training);
    // The report a hospital reads: each validation study with its verdict, known label and top slices.
    String page = Files.readString(run.resolve("report/studies-validation.html"));
    long validationStudies = java.util.Arrays.stream(Files.readString(run.resolve("report/metrics.json")).split("\n"))
        .filter(l -> l.contains("validation — studies")).count();
    assertTrue(validationStudies > 0);
    assertTrue(page.contains("(labelled covid)") && page.contains("(labelled non-covid)") && page.contains("<img"),
        "the validation page shows both classes with overlays");
    assertTrue(Files.isRegularFile(v2.resolve("assets.extra/report/studies-validation.html")), "published with the model");
  }

  @Test
  void badStudiesAreNamedAndCountedAndStopTheRunBeforeTrainingUnlessSkipped() throws IOException {
    Path studies = dir.resolve("messy");
    writeStudies(studies, 6, 22);
    Files.createDirectories(studies.resolve("corrupt"));
    Files.writeString(studies.resolve("corrupt/slice-00.png"), "not a PNG");
    Path labels = labels(studies, 12, "study-03,covid,patient-03\nghost,covid,\ncorrupt,non-covid,\nstudy-04,maybe,\n");
    Path v1 = copyOfBase("messy-models");
    Path run = dir.resolve("ft-messy");
    List<String> common = List.of("fine-tune", "--model", v1.toString(), "--studies", studies.toString(), "--labels",
        labels.toString(), "--validation-fraction", "0.34", "--test-fraction", "0", "--epochs", "1", "--batch-size", "12",
        "--augment-copies", "1", "--bootstrap", "10", "--export-anyway", "--run-dir", run.toString());
    CliTest.Run stopped = CliTest.run(common.toArray(String[]::new));
    assertEquals(1, stopped.exitCode(), stopped.out() + stopped.err());
    String err = stopped.err();
    assertTrue(err.contains("4 of 16 listed studies") && err.contains("study-03: listed twice") && err.contains("ghost: not found")
        && err.contains("corrupt: no slice decodes") && err.contains("study-04: listed twice"), err);
    assertTrue(err.contains("--skip-bad-studies") && err.contains("nothing was trained"), err);
    assertFalse(Files.exists(run.resolve("state.json")), "no training started");
    assertEquals(1, ModelExport.latestVersion(v1.getParent()).orElse(0), "no new version");

    List<String> skipping = new java.util.ArrayList<>(common);
    skipping.add("--skip-bad-studies");
    CliTest.Run skipped = CliTest.run(skipping.toArray(String[]::new));
    assertEquals(0, skipped.exitCode(), skipped.out() + skipped.err());
    assertTrue(skipped.out().contains("left out (--skip-bad-studies)") && skipped.out().contains("studies: 12 usable"),
        skipped.out());
    assertEquals(2, ModelExport.latestVersion(v1.getParent()).orElse(0));
  }

  @Test
  void sliceLabelsAndStudyLabelsTogetherFromAZip() throws IOException {
    Path studies = dir.resolve("zipped");
    writeStudies(studies, 8, 23);
    Path labels = labels(studies, 16, "");
    Path zip = dir.resolve("studies.zip");
    try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip)); var files = Files.walk(studies)) {
      for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(new java.util.zip.ZipEntry(studies.relativize(p).toString().replace('\\', '/')));
        out.write(Files.readAllBytes(p));
        out.closeEntry();
      }
    }
    Path slices = SyntheticDataset.write(dir.resolve("slices"), 48, 24, false);
    Path v1 = copyOfBase("mixed-models");
    CliTest.Run r = CliTest.run("fine-tune", "--model", v1.toString(), "--data", slices.toString(), "--studies",
        zip.toString(), "--labels", labels.toString(), "--validation-fraction", "0.3", "--test-fraction", "0.2",
        "--epochs", "1", "--batch-size", "12", "--augment-copies", "1", "--bootstrap", "20", "--export-anyway",
        "--run-dir", dir.resolve("ft-mixed").toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("unpacked " + zip) && r.out().contains("studies: 16 usable"), r.out());
    ModelAssets assets = ModelAssets.read(v1.resolveSibling("2"));
    assertTrue(assets.scanDecision().chosenFor().contains("studies"), assets.scanDecision().chosenFor());
    assertTrue(assets.decision().chosenFor().contains("images"), "slice labels lock the slice threshold: "
        + assets.decision().chosenFor());
    String metrics = Files.readString(dir.resolve("ft-mixed/report/metrics.json"));
    assertTrue(metrics.contains("validation — studies") && metrics.contains("validation — slices"), metrics);
  }

  @Test
  void transferStudyOnAHospitalsStudiesCountsBudgetsInPatientsAndJudgesTestStudies() throws IOException {
    Path studies = dir.resolve("curve");
    writeStudies(studies, 8, 25);
    Path labels = labels(studies, 16, "");
    Path run = dir.resolve("curve-run");
    CliTest.Run r = CliTest.run("transfer-study", "--model", base.toString(), "--studies", studies.toString(), "--labels",
        labels.toString(), "--budgets", "0,all", "--repeats", "1", "--epochs", "1", "--batch-size", "12",
        "--augment-copies", "1", "--bootstrap", "20", "--run-dir", run.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("studies / ") && r.out().contains("held out for testing"), r.out());
    List<String> rows = Files.readAllLines(run.resolve("runs.csv"));
    assertEquals(3, rows.size(), "zero-shot and the full budget: " + rows);
    Path tuned;
    try (var list = Files.list(run)) {
      tuned = list.filter(p -> p.getFileName().toString().startsWith("budget-")).findFirst().orElseThrow();
    }
    var result = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tuned.resolve("result.json").toFile());
    assertTrue(result.get("thresholdRule").asText().contains("studies"), result.toString());
    List<String> scores = Files.readAllLines(tuned.resolve("test-scores.csv"));
    assertEquals(result.get("testImages").asInt() + 1, scores.size(), "one row per test study");
    assertTrue(scores.get(1).startsWith("study-"), scores.get(1));
    CliTest.Run both = CliTest.run("transfer-study", "--model", base.toString(), "--studies", studies.toString(),
        "--labels", labels.toString(), "--data", dir.resolve("data").toString(), "--run-dir",
        dir.resolve("curve-both").toString());
    assertEquals(2, both.exitCode(), both.err());
    assertTrue(both.err().contains("leave out --data"), both.err());
  }

  @Test
  void fineTuneWithoutAnyNewDataIsAUsageError() throws IOException {
    CliTest.Run r = CliTest.run("fine-tune", "--model", base.toString(), "--epochs", "1");
    assertEquals(2, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains("--data") && r.err().contains("--studies"), r.err());
  }
}
