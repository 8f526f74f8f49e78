package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.testing.SyntheticImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ctnet train --lesion-masks} through the real CLI on synthetic slices with blob masks. */
class LesionCliTest {
  @TempDir static Path dir;
  static Path data;
  static Path masked;

  @BeforeAll
  static void setUp() throws IOException {
    data = SyntheticDataset.write(dir.resolve("data"), 64, 3, false);
    // Masked COVID slices in Inf-Net's layout: stored transposed, a patient per pair, half of them
    // pseudo masks, and one patient whose only mask is empty.
    masked = dir.resolve("masked");
    Files.createDirectories(masked.resolve("images"));
    Files.createDirectories(masked.resolve("masks"));
    SyntheticImages.Batch b = SyntheticImages.blobs(24, 32, 4242);
    StringBuilder manifest = new StringBuilder("image,mask,label,patient_id,orientation_fix,mask_kind\n");
    int written = 0;
    for (int i = 1; i < 24; i += 2) {
      float[] image = new float[32 * 32];
      float[] mask = new float[32 * 32];
      boolean empty = i == 23;
      for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
          image[x * 32 + y] = b.image(i)[y * 32 + x];
          mask[x * 32 + y] = !empty && b.insideBlob(i, x, y) ? 1f : 0f;
        }
      }
      String name = String.format("m_%02d.png", i);
      Files.write(masked.resolve("images").resolve(name), SyntheticImages.png(image, 32, 32));
      Files.write(masked.resolve("masks").resolve(name), SyntheticImages.png(mask, 32, 32));
      String patient = empty ? "p-empty" : "p" + (written / 2);
      manifest.append("images/").append(name).append(",masks/").append(name).append(",covid,").append(patient)
          .append(",transpose,").append(written % 2 == 0 ? "pseudo (model-generated)" : "radiologist").append('\n');
      written++;
    }
    Files.writeString(masked.resolve("manifest.csv"), manifest.toString());
  }

  @Test
  void trainingWithLesionMasksLogsTheTermHoldsOutPatientsAndRecordsTheRecipe() throws IOException {
    Path run = dir.resolve("run");
    Path models = dir.resolve("models");
    CliTest.Run r = CliTest.run("train", "--data", data.toString(), "--preset", "tiny", "--name", "guided",
        "--models", models.toString(), "--run-dir", run.toString(), "--epochs", "1", "--batch-size", "8",
        "--lr", "0.01", "--augment-copies", "1", "--bootstrap", "20", "--lesion-masks", masked.toString(),
        "--lesion-holdout", "0.25", "--lesion-mix", "0.3", "--lesion-weight", "2", "--framing", "body");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    // The framing is part of the model: every consumer reads it from the export.
    assertEquals("BODY", new ObjectMapper().readTree(models.resolve("guided/1/assets.extra/preprocessing.json").toFile())
        .path("preprocessing").path("framing").asText());
    // 12 slices of 7 patients; 2 patients (round(7 × 0.25)) held out and listed for explain-eval --groups.
    List<String> held = Files.readAllLines(run.resolve("lesion-holdout-groups.txt"));
    assertEquals(2, held.size(), held.toString());
    assertTrue(r.out().contains("12 slices of 7 patients, 2 patients held out"), r.out());
    // The slices of the other patients are loaded; the empty mask, if among them, is left out.
    List<String> rows = Files.readAllLines(masked.resolve("manifest.csv")).subList(1, 13);
    long kept = rows.stream().filter(row -> !held.contains(row.split(",")[3])).count();
    int empty = held.contains("p-empty") ? 0 : 1;
    assertTrue(r.out().contains("lesion guidance: " + (kept - empty) + " slices (" + empty + " empty masks left out)"),
        r.out());
    List<String> log = Files.readAllLines(run.resolve("training-log.jsonl"));
    assertEquals(1, log.size());
    for (String line : log) {
      double lesion = new ObjectMapper().readTree(line).get("lesionLoss").asDouble(-1);
      // Weight 2 × a contrast of z-scores, at most 1/sqrt(a(1 − a)) for a mask covering a share a ≥ 1/256 of the grid.
      assertTrue(Double.isFinite(lesion) && Math.abs(lesion) <= 2 * 16.1, line);
    }
    JsonNode training = new ObjectMapper().readTree(models.resolve("guided/1/assets.extra/training.json").toFile())
        .get("training").get("lesion");
    assertEquals(2.0, training.get("weight").asDouble());
    assertEquals(0.3, training.get("mix").asDouble());
    assertEquals(0.5, training.get("pseudoMaskWeight").asDouble());
    // The guided model serves like any other: its explain signature works on a new slice.
    CliTest.Run explain = CliTest.run("explain", "--model", models.resolve("guided/1").toString(), "--input",
        masked.resolve("images/m_01.png").toString(), "--out", dir.resolve("explain").toString());
    assertEquals(0, explain.exitCode(), explain.out() + explain.err());
  }

  @Test
  void aGuidedRecipeIsCrossValidatedWithTheSameMasksInEveryFold() throws IOException {
    Path run = dir.resolve("cv");
    CliTest.Run r = CliTest.run("cross-validate", "--data", data.toString(), "--preset", "tiny", "--folds", "3",
        "--epochs", "1", "--batch-size", "8", "--lr", "0.01", "--augment-copies", "1", "--bootstrap", "20",
        "--run-dir", run.toString(), "--lesion-masks", masked.toString(), "--lesion-holdout", "0.25");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("pooled out-of-fold"), r.out());
    for (int fold = 1; fold <= 3; fold++) {
      Path foldDir = run.resolve("fold-" + fold);
      assertEquals(Files.readAllLines(run.resolve("fold-1").resolve(LESION_HOLDOUT)),
          Files.readAllLines(foldDir.resolve(LESION_HOLDOUT)), "the same mask patients held out in fold " + fold);
      JsonNode epoch = new ObjectMapper().readTree(Files.readAllLines(foldDir.resolve("training-log.jsonl")).get(0));
      assertTrue(epoch.path("lesionLoss").isNumber(), "fold " + fold + " trained with the term: " + epoch);
    }
    // the recipe, guidance included, is in the report (weight 0 would be guidance off)
    JsonNode recipe = new ObjectMapper().readTree(run.resolve("report/metrics.json").toFile()).path("training").path("lesion");
    assertEquals(1.0, recipe.path("weight").asDouble(), recipe.toString());
  }

  private static final String LESION_HOLDOUT = org.ctnet.trainer.cli.LesionOptions.HOLDOUT_GROUPS;

  @Test
  void badLesionOptionsAreRefusedWithAClearMessage() {
    CliTest.Run mix = CliTest.run("train", "--data", data.toString(), "--preset", "tiny", "--no-export",
        "--run-dir", dir.resolve("bad1").toString(), "--epochs", "1", "--lesion-masks", masked.toString(),
        "--lesion-mix", "1");
    assertNotEquals(0, mix.exitCode());
    assertTrue(mix.err().contains("lesion mix must be in [0, 1)"), mix.err());
    CliTest.Run missing = CliTest.run("train", "--data", data.toString(), "--preset", "tiny", "--no-export",
        "--run-dir", dir.resolve("bad2").toString(), "--epochs", "1", "--lesion-masks", dir.resolve("nowhere").toString());
    assertNotEquals(0, missing.exitCode());
    assertTrue(missing.err().contains("no manifest.csv"), missing.err());
    CliTest.Run layer = CliTest.run("train", "--data", data.toString(), "--preset", "tiny", "--no-export",
        "--run-dir", dir.resolve("bad3").toString(), "--epochs", "1", "--cam-layer", "stage9");
    assertNotEquals(0, layer.exitCode());
    assertTrue(layer.err().contains("stage9"), layer.err());
    CliTest.Run framing = CliTest.run("train", "--data", data.toString(), "--preset", "tiny", "--no-export",
        "--run-dir", dir.resolve("bad4").toString(), "--epochs", "1", "--framing", "lungs");
    assertEquals(2, framing.exitCode());
    assertTrue(framing.err().contains("framing must be whole or body"), framing.err());
  }
}
