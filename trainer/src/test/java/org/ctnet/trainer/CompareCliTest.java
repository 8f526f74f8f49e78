package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ctnet compare} through the CLI on out-of-fold files written here. */
class CompareCliTest {
  @TempDir Path dir;

  private static final int GROUPS = 40;
  private static final int PER_GROUP = 3;

  /** One score per slice: the label plus noise of the given spread (0 = random scores). */
  private static double[] scores(double signal, long seed) {
    Random random = new Random(seed);
    double[] s = new double[GROUPS * PER_GROUP];
    for (int i = 0; i < s.length; i++) {
      s[i] = signal * label(i) + random.nextDouble();
    }
    return s;
  }

  private static int label(int slice) {
    return (slice / PER_GROUP) % 2; // whole groups are covid or not, as patients are
  }

  private Path write(String name, double[] scores, int skipSlice) throws IOException {
    StringBuilder csv = new StringBuilder("path,label,group,fold,score,threshold,source\n");
    for (int i = 0; i < scores.length; i++) {
      if (i == skipSlice) {
        continue;
      }
      int group = i / PER_GROUP;
      csv.append("/data/s").append(i).append(".png,").append(label(i) == 1 ? "covid" : "non-covid").append(",g")
          .append(group).append(",1,").append(scores[i]).append(",0.5,").append(group < GROUPS / 2 ? "one" : "two")
          .append('\n');
    }
    Path file = dir.resolve(name);
    Files.writeString(file, csv);
    return file;
  }

  /** Independent reference: the share of (positive, negative) pairs ordered right, ties half. */
  private static double pairCountAuc(double[] s) {
    double right = 0;
    int pairs = 0;
    for (int i = 0; i < s.length; i++) {
      for (int j = 0; j < s.length; j++) {
        if (label(i) == 1 && label(j) == 0) {
          pairs++;
          right += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
        }
      }
    }
    return right / pairs;
  }

  @Test
  void aClearlyBetterScoringIsShownBetterWithItsPairedInterval() throws IOException {
    double[] weak = scores(0.2, 1);
    double[] strong = scores(2, 2);
    Path a = write("a.csv", weak, -1);
    Path b = write("b.csv", strong, -1);
    CliTest.Run r = CliTest.run("compare", a.toString(), b.toString(), "--bootstrap", "300", "--out", dir.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("B better (interval above 0)"), r.out());
    JsonNode rows = new ObjectMapper().readTree(dir.resolve("comparison.json").toFile()).get("rows");
    assertEquals(3, rows.size(), "all slices, then sources one and two");
    JsonNode all = rows.get(0);
    assertEquals("all", all.get("subset").asText());
    assertEquals(GROUPS * PER_GROUP, all.get("images").asInt());
    assertEquals(GROUPS, all.get("groups").asInt());
    assertEquals(pairCountAuc(weak), all.get("aucA").get("value").asDouble(), 1e-12);
    assertEquals(1.0, all.get("aucB").get("value").asDouble(), 1e-12);
    JsonNode difference = all.get("difference");
    assertEquals(1.0 - pairCountAuc(weak), difference.get("value").asDouble(), 1e-12);
    assertTrue(difference.get("lower").asDouble() > 0, difference.toString());
    assertEquals("one", rows.get(1).get("subset").asText());
    assertEquals(GROUPS / 2 * PER_GROUP, rows.get(1).get("images").asInt());
  }

  @Test
  void aScoringComparedWithItselfDiffersByExactlyZero() throws IOException {
    Path a = write("a.csv", scores(0.5, 3), -1);
    CliTest.Run r = CliTest.run("compare", a.toString(), a.toString(), "--bootstrap", "200");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("+0.000 [+0.000, +0.000]"), r.out());
    assertTrue(r.out().contains("no difference shown"), r.out());
  }

  @Test
  void aRelativePathMatchesTheSameFileWrittenAbsolute() throws IOException {
    Path relative = write("relative.csv", scores(0.5, 3), -1);
    Files.writeString(relative, Files.readString(relative).replace("/data/", "data/"));
    Path absolute = write("absolute.csv", scores(0.5, 3), -1);
    String cwd = Path.of("").toAbsolutePath().toString();
    Files.writeString(absolute, Files.readString(absolute).replace("/data/", cwd + "/data/"));
    CliTest.Run r = CliTest.run("compare", relative.toString(), absolute.toString(), "--bootstrap", "50");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("| all | 120 | 40 |"), r.out());
  }

  @Test
  void aPositivesOnlySourceGetsBrierButNoRocAuc() throws IOException {
    double[] weak = scores(0.2, 1);
    double[] strong = scores(2, 2);
    Path a = write("a.csv", weak, -1);
    Path b = write("b.csv", strong, -1);
    // Source "pos" holds the positive groups of source one only.
    for (Path file : List.of(a, b)) {
      StringBuilder out = new StringBuilder();
      for (String line : Files.readAllLines(file)) {
        out.append(line.contains(",covid,") && line.endsWith(",one") ? line.replaceAll(",one$", ",pos") : line).append('\n');
      }
      Files.writeString(file, out);
    }
    CliTest.Run r = CliTest.run("compare", a.toString(), b.toString(), "--bootstrap", "100");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    String posRow = r.out().lines().filter(l -> l.startsWith("| pos |")).findFirst().orElseThrow(() -> new AssertionError(r.out()));
    assertTrue(posRow.contains("| — | — | — |") && posRow.endsWith("| one class only: no ROC-AUC |"), posRow);
    assertTrue(!r.out().contains("NaN"), r.out());
  }

  @Test
  void filesThatDoNotScoreTheSameSlicesAreRefusedNamingOne() throws IOException {
    Path a = write("a.csv", scores(0.5, 3), -1);
    Path b = write("b.csv", scores(0.5, 4), 7);
    CliTest.Run r = CliTest.run("compare", a.toString(), b.toString());
    assertEquals(1, r.exitCode());
    assertTrue(r.err().contains("must score the same slices: 1 only in") && r.err().contains("/data/s7.png)"), r.err());
  }

  @Test
  void aFileWithoutScoresOrWithOneClassIsRefused() throws IOException {
    Path noScore = dir.resolve("bad.csv");
    Files.writeString(noScore, "path,label,group\n/a.png,covid,g1\n");
    CliTest.Run r = CliTest.run("compare", noScore.toString(), noScore.toString());
    assertEquals(1, r.exitCode());
    assertTrue(r.err().contains("has no 'score' column"), r.err());
    Path a = write("a.csv", scores(0.5, 3), -1);
    CliTest.Run wrongLabel = CliTest.run("compare", a.toString(), a.toString(), "--positive", "COVID");
    assertEquals(1, wrongLabel.exitCode());
    assertTrue(wrongLabel.err().contains("ROC-AUC needs both classes: 0 of 120 slices are 'COVID'"), wrongLabel.err());
  }
}
