package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ctnet.trainer.data.Csv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cross-validate through the real CLI: every image tested once, groups whole, resumable by fold. */
class CrossValidateCliTest {
  @TempDir Path dir;

  private static List<String[]> rows(Path csv) throws IOException {
    List<String[]> all = Csv.read(csv);
    return all.subList(1, all.size());
  }

  @Test
  void everyImageIsScoredOnceByAModelThatNeverSawItsGroup() throws IOException {
    Path data = SyntheticDataset.write(dir.resolve("data"), 72, 3, true);
    Path run = dir.resolve("cv");
    String[] args = {"cross-validate", "--data", data.toString(), "--preset", "tiny", "--folds", "3", "--epochs", "2",
        "--batch-size", "8", "--lr", "0.01", "--augment-copies", "1", "--bootstrap", "50", "--run-dir", run.toString()};
    CliTest.Run r = CliTest.run(args);
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("pooled out-of-fold") && r.out().contains("| 3 |"), r.out());

    List<String[]> folds = rows(run.resolve("folds.csv"));
    List<String[]> scores = rows(run.resolve("out-of-fold.csv"));
    assertEquals(73, folds.size(), "every manifest row is assigned a fold");
    assertEquals(72, scores.size(), "every readable image is scored once (the corrupt file is skipped)");
    Map<String, String> foldOfGroup = new HashMap<>();
    Set<String> scored = new HashSet<>();
    for (String[] row : folds) {
      String previous = foldOfGroup.put(row[2], row[3]);
      assertTrue(previous == null || previous.equals(row[3]), "group " + row[2] + " split across folds");
    }
    for (String[] row : scores) {
      assertTrue(scored.add(row[0]), "scored twice: " + row[0]);
      assertEquals(foldOfGroup.get(row[2]), row[3], "scored by the model of its own test fold");
      double score = Double.parseDouble(row[4]);
      assertTrue(score >= 0 && score <= 1, row[4]);
    }
    JsonNode metrics = new ObjectMapper().readTree(run.resolve("report/metrics.json").toFile());
    assertEquals(3, metrics.get("folds").size(), metrics.toString());
    assertTrue(Files.isRegularFile(run.resolve("report/report.html")));

    // Resuming keeps the finished folds: same scores, no training.
    CliTest.Run again = CliTest.run(java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--resume"))
        .toArray(String[]::new));
    assertEquals(0, again.exitCode(), again.out() + again.err());
    assertEquals(3, again.out().split("finished in an earlier run, kept", -1).length - 1, again.out());
    List<String[]> rescored = rows(run.resolve("out-of-fold.csv"));
    for (int i = 0; i < scores.size(); i++) {
      assertEquals(List.of(scores.get(i)), List.of(rescored.get(i)));
    }
  }

  @Test
  void tooFewGroupsForTheFoldsIsAClearError() throws IOException {
    Path data = SyntheticDataset.write(dir.resolve("small"), 16, 5, false);
    CliTest.Run r = CliTest.run("cross-validate", "--data", data.toString(), "--preset", "tiny", "--folds", "5",
        "--run-dir", dir.resolve("cv-small").toString());
    assertEquals(1, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains("fewer than the 5 folds"), r.err());
  }
}
