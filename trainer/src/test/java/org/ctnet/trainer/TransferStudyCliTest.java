package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.trainer.workflow.FineTuning;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ctnet transfer-study through the real CLI on tiny synthetic sources: every output, resume, bad budgets. */
class TransferStudyCliTest {
  @TempDir Path dir;

  @Test
  void learningCurveWithZeroShotRepeatsReferenceAndResume() throws Exception {
    Path original = SyntheticDataset.write(dir.resolve("original"), 64, 1, false);
    Path hospital = SyntheticDataset.write(dir.resolve("hospital"), 64, 9, false);
    Path models = dir.resolve("models");
    CliTest.Run base = CliTest.run("train", "--data", original.toString(), "--preset", "tiny", "--name", "base",
        "--models", models.toString(), "--run-dir", dir.resolve("base").toString(), "--epochs", "2", "--batch-size", "8",
        "--lr", "0.01", "--augment-copies", "1", "--bootstrap", "20");
    assertEquals(0, base.exitCode(), base.out() + base.err());
    Path run = dir.resolve("study");
    String[] args = {"transfer-study", "--model", models.resolve("base").toString(), "--data", hospital.toString(),
        "--reference", original.toString(), "--budgets", "0,4,all", "--repeats", "1", "--epochs", "1",
        "--batch-size", "8", "--augment-copies", "1", "--bootstrap", "20", "--run-dir", run.toString()};
    CliTest.Run r = CliTest.run(args);
    assertEquals(0, r.exitCode(), r.out() + r.err());

    List<String> rows = Files.readAllLines(run.resolve("runs.csv"));
    assertEquals(1 + 3, rows.size(), "zero-shot once, two budgets once each: " + rows);
    assertTrue(rows.get(1).startsWith("zero-shot,0,0,0"), rows.get(1));
    JsonNode study = new ObjectMapper().readTree(run.resolve("study.json").toFile());
    JsonNode runs = study.get("runs");
    double referenceBefore = runs.get(0).get("referenceAucBefore").asDouble();
    assertTrue(referenceBefore > 0 && referenceBefore <= 1, "reference AUC of the base model: " + referenceBefore);
    for (JsonNode run1 : runs) {
      double auc = run1.get("testAuc").asDouble();
      assertTrue(run1.get("testAucLower").asDouble() <= auc && auc <= run1.get("testAucUpper").asDouble(), run1.toString());
      assertEquals(referenceBefore, run1.get("referenceAucBefore").asDouble(), 1e-12);
      assertEquals(runs.get(0).get("testImages").asInt(), run1.get("testImages").asInt(), "one fixed test part");
      double perPatient = run1.get("testScanAuc").asDouble();
      assertTrue(perPatient >= 0 && perPatient <= 1, "scan-level (per patient) AUC beside the slice level: " + run1);
    }
    // The split keeps test patients out of every draw.
    List<String> split = Files.readAllLines(run.resolve("split.csv"));
    long testGroups = split.stream().skip(1).filter(l -> l.endsWith(",test")).map(l -> l.split(",")[2]).distinct().count();
    assertTrue(testGroups > 0);
    assertEquals(3, study.get("summary").size(), "three budgets");
    for (String f : List.of("summary.csv", "learning-curve.png", "report.html")) {
      assertTrue(Files.size(run.resolve(f)) > 100, f);
    }
    assertTrue(Files.readString(run.resolve("report.html")).contains("data:image/png;base64,"));

    CliTest.Run again = CliTest.run(java.util.stream.Stream.concat(java.util.Arrays.stream(args),
        java.util.stream.Stream.of("--resume")).toArray(String[]::new));
    assertEquals(0, again.exitCode(), again.out() + again.err());
    assertEquals(3, again.out().split("finished in an earlier run, kept", -1).length - 1, again.out());
    assertEquals(rows, Files.readAllLines(run.resolve("runs.csv")), "resuming changes nothing");

    CliTest.Run rerun = CliTest.run(args);
    assertEquals(1, rerun.exitCode());
    assertTrue(rerun.err().contains("--resume"), rerun.err());
    CliTest.Run badBudget = CliTest.run("transfer-study", "--model", models.resolve("base").toString(), "--data",
        hospital.toString(), "--budgets", "2", "--run-dir", dir.resolve("bad").toString());
    assertEquals(1, badBudget.exitCode());
    assertTrue(badBudget.err().contains("at least 3 patients"), badBudget.err());

    // AdaBN first: the zero-shot point scores the base with the new source's batch-norm statistics.
    Path adapted = dir.resolve("study-adabn");
    CliTest.Run adabn = CliTest.run("transfer-study", "--model", models.resolve("base").toString(), "--data",
        hospital.toString(), "--budgets", "0", "--adapt-batch-norm", "--bootstrap", "20", "--run-dir", adapted.toString());
    assertEquals(0, adabn.exitCode(), adabn.out() + adabn.err());
    assertTrue(adabn.out().contains("AdaBN: re-estimated"), adabn.out());
    assertTrue(Files.isRegularFile(adapted.resolve("adapted-base/1/saved_model.pb")));
    assertTrue(Files.readString(adapted.resolve("report.html")).contains("AdaBN"), "the recipe says so");

    // Study labels: each group is a study with one label; the curve is judged per scan at the scan
    // threshold locked on validation studies, and each run's test scores are kept for paired comparisons.
    Path byStudy = dir.resolve("study-labels");
    CliTest.Run studies = CliTest.run("transfer-study", "--model", models.resolve("base").toString(), "--data",
        hospital.toString(), "--budgets", "0,all", "--repeats", "1", "--epochs", "1", "--batch-size", "8",
        "--augment-copies", "1", "--bootstrap", "20", "--study-labels", "--run-dir", byStudy.toString());
    assertEquals(0, studies.exitCode(), studies.out() + studies.err());
    assertTrue(studies.out().contains("validation (") && studies.out().contains(" studies)"), studies.out());
    Path tunedDir;
    try (var list = Files.list(byStudy)) {
      tunedDir = list.filter(p -> p.getFileName().toString().startsWith("budget-")).findFirst().orElseThrow();
    }
    var tuned = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tunedDir.resolve("result.json").toFile());
    assertTrue(tuned.get("thresholdRule").asText().contains("studies"), tuned.toString());
    assertEquals(tuned.get("testScanAuc").asDouble(), tuned.get("testAuc").asDouble(), 1e-12, "judged per scan");
    List<String> scores = Files.readAllLines(tunedDir.resolve("test-scores.csv"));
    assertEquals("path,label,group,score,source", scores.get(0));
    assertEquals(tuned.get("testImages").asInt() + 1, scores.size());
  }

  @Test
  void aFineTuneIsJudgedAgainstWhereItStarted() {
    assertTrue(FineTuning.problems(new FineTuning.Scores(0.7, 0.95), new FineTuning.Scores(0.8, 0.94)).isEmpty());
    List<String> worse = FineTuning.problems(new FineTuning.Scores(0.7, 0.95), new FineTuning.Scores(0.65, 0.94));
    assertEquals(1, worse.size());
    assertTrue(worse.get(0).contains("below the starting model"), worse.get(0));
    List<String> forgot = FineTuning.problems(new FineTuning.Scores(0.7, 0.95), new FineTuning.Scores(0.9, 0.80));
    assertTrue(forgot.get(0).contains("forgot"), forgot.toString());
    assertTrue(FineTuning.problems(new FineTuning.Scores(0.7, Double.NaN), new FineTuning.Scores(0.9, Double.NaN)).isEmpty(),
        "no reference, no forgetting check");
  }
}
