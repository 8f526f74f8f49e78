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
import org.ctnet.graph.testing.SyntheticImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ctnet confounds} through the CLI on two sources whose brightness points opposite ways. */
class ConfoundsCliTest {
  @TempDir Path dir;

  /** 12 slices per class, 40×40, grey level around {@code covidGrey} for covid and {@code otherGrey} for the rest. */
  static Path source(Path root, int covidGrey, int otherGrey, long seed) throws IOException {
    Random random = new Random(seed);
    for (String label : List.of("covid", "non-covid")) {
      Files.createDirectories(root.resolve(label));
      for (int i = 0; i < 12; i++) {
        float[] pixels = new float[40 * 40];
        int level = label.equals("covid") ? covidGrey : otherGrey;
        for (int p = 0; p < pixels.length; p++) {
          pixels[p] = (level + random.nextInt(21) - 10) / 255f;
        }
        Files.write(root.resolve(label).resolve("s" + i + ".png"), SyntheticImages.png(pixels, 40, 40));
      }
    }
    return root;
  }

  @Test
  void aFeatureThatSeparatesTheClassesOppositeWaysIsFlaggedAndTheRestIsNot() throws IOException {
    Path a = source(dir.resolve("a"), 180, 100, 1);
    Path b = source(dir.resolve("b"), 100, 180, 2);
    Path out = dir.resolve("report");
    CliTest.Run r = CliTest.run("confounds", "--data", a.toString(), "--data", b.toString(), "--out", out.toString(),
        "--bootstrap", "200");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("FLIP: mean grey is higher in 'covid' slices of"), r.out());
    JsonNode report = new ObjectMapper().readTree(out.resolve("confounds.json").toFile());
    // Mean grey: every covid slice brighter in a (AUC 1), darker in b (AUC 0); both shortcuts.
    for (JsonNode row : report.get("rows")) {
      String feature = row.get("feature").asText();
      double auc = row.get("auc").get("value").asDouble();
      if (feature.equals("mean grey")) {
        assertEquals(row.get("source").asText().equals("a") ? 1.0 : 0.0, auc, 1e-12, row.toString());
        assertTrue(row.get("shortcut").asBoolean(), row.toString());
      }
      if (feature.equals("width") || feature.equals("aspect (w/h)")) {
        assertEquals(0.5, auc, 1e-12, "every slice is 40×40: " + row);
        assertTrue(!row.get("shortcut").asBoolean(), row.toString());
      }
    }
    List<String> flipped = new java.util.ArrayList<>();
    report.get("flips").forEach(f -> flipped.add(f.get("feature").asText()));
    assertTrue(flipped.contains("mean grey") && !flipped.contains("width"), flipped.toString());
    List<String> csv = Files.readAllLines(out.resolve("confounds.csv"));
    assertEquals(1 + 2 * 9, csv.size(), "a row per source and feature");
  }

  @Test
  void aSourceWithOneClassAndBadOptionsAreRefused() throws IOException {
    Path a = source(dir.resolve("a"), 180, 100, 1);
    Path only = dir.resolve("only");
    Files.createDirectories(only.resolve("covid"));
    Files.copy(a.resolve("covid/s0.png"), only.resolve("covid/s0.png"));
    Files.createDirectories(only.resolve("non-covid"));
    CliTest.Run alone = CliTest.run("confounds", "--data", only.toString(), "--out", dir.resolve("o").toString());
    assertTrue(alone.exitCode() != 0, alone.out());
    assertTrue(alone.err().contains("need at least 2"), alone.err());
    CliTest.Run bad = CliTest.run("confounds", "--data", a.toString(), "--bootstrap", "0");
    assertEquals(2, bad.exitCode(), bad.err());
  }
}
