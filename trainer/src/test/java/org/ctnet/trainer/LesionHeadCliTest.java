package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.lesion.Severity;
import org.ctnet.graph.spec.LesionHeadSpec;
import org.ctnet.graph.spec.SpecJson;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.trainer.explain.SegmentationEvaluation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model with a lesion head through the real CLI: trained with masks stored as the Coronacases
 * manifests store them ({@code transpose_flip}), then scored by {@code segment-eval}, {@code predict}
 * (lesion columns), {@code predict --scans} (scan involvement and severity) and {@code explain
 * --methods lesion}.
 */
class LesionHeadCliTest {
  @TempDir static Path dir;
  static Path data;
  static Path masked;
  static Path model;
  static CliTest.Run training;

  /** The stored form of an upright square image whose fix is transpose then flip top–bottom. */
  static float[] storedTransposeFlip(float[] upright, int side) {
    float[] stored = new float[upright.length];
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        stored[y * side + x] = upright[(side - 1 - x) * side + y];
      }
    }
    return stored;
  }

  @BeforeAll
  static void setUp() throws IOException {
    data = SyntheticDataset.write(dir.resolve("data"), 64, 3, false);
    masked = dir.resolve("masked");
    Files.createDirectories(masked.resolve("images"));
    Files.createDirectories(masked.resolve("masks"));
    SyntheticImages.Batch b = SyntheticImages.blobs(40, 32, 777);
    StringBuilder manifest = new StringBuilder("image,mask,label,patient_id,orientation_fix,mask_kind\n");
    int written = 0;
    for (int i = 0; i < 40 && written < 12; i++) {
      if (b.labels()[i] != 1) {
        continue;
      }
      float[] mask = new float[32 * 32];
      for (int y = 0; y < 32; y++) {
        for (int x = 0; x < 32; x++) {
          mask[y * 32 + x] = b.insideBlob(i, x, y) ? 1f : 0f;
        }
      }
      String name = String.format("m_%02d.png", i);
      Files.write(masked.resolve("images").resolve(name), SyntheticImages.png(storedTransposeFlip(b.image(i), 32), 32, 32));
      Files.write(masked.resolve("masks").resolve(name), SyntheticImages.png(storedTransposeFlip(mask, 32), 32, 32));
      manifest.append("images/").append(name).append(",masks/").append(name).append(",covid,p").append(written / 2)
          .append(",transpose_flip,pseudo (model-generated)\n");
      written++;
    }
    Files.writeString(masked.resolve("manifest.csv"), manifest.toString());
    Path spec = dir.resolve("tiny-lesion.json");
    Files.writeString(spec, SpecJson.toJson(TestModels.tinySpec().withLesionHead(new LesionHeadSpec(1, List.of(16, 8, 8), true))));
    Path models = dir.resolve("models");
    training = CliTest.run("train", "--data", data.toString(), "--spec", spec.toString(), "--name", "lesion",
        "--models", models.toString(), "--run-dir", dir.resolve("run").toString(), "--epochs", "3", "--batch-size", "8",
        "--lr", "0.005", "--augment-copies", "1", "--bootstrap", "20", "--lesion-masks", masked.toString(),
        "--lesion-holdout", "0", "--lesion-mix", "0.4", "--negative-lesion-weight", "0.5");
    model = models.resolve("lesion/1");
  }

  @Test
  void trainingFeedsTheHeadAndTheExportCarriesIt() throws IOException {
    assertEquals(0, training.exitCode(), training.out() + training.err());
    assertTrue(training.out().contains("lesion head: 12 slices (0 empty masks)"), training.out());
    for (String line : Files.readAllLines(dir.resolve("run/training-log.jsonl"))) {
      double lesion = new ObjectMapper().readTree(line).get("lesionLoss").asDouble(-1);
      // BCE + Dice per masked image plus the lung term: positive and finite.
      assertTrue(Double.isFinite(lesion) && lesion > 0, line);
    }
    JsonNode spec = new ObjectMapper().readTree(model.resolve("assets.extra/model.json").toFile());
    assertTrue(spec.toString().contains("\"lesionHead\""), spec.toString());
  }

  @Test
  void segmentEvalReportsEveryFigureWithIntervals() throws IOException {
    Path out = dir.resolve("seg");
    CliTest.Run r = CliTest.run("segment-eval", "--model", model.toString(), "--data", masked.toString(), "--out",
        out.toString(), "--bootstrap", "50");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("bootstrap over patients"), r.out());
    JsonNode metrics = new ObjectMapper().readTree(out.resolve("segment-metrics.json").toFile()).get("metrics");
    for (String name : SegmentationEvaluation.METRICS) {
      JsonNode m = metrics.get(name);
      assertNotNull(m, name);
      if (!Double.isNaN(m.get("value").asDouble(Double.NaN))) {
        assertTrue(m.get("lower").asDouble() <= m.get("value").asDouble() + 1e-9
            && m.get("value").asDouble() <= m.get("upper").asDouble() + 1e-9, name + " " + m);
      }
    }
    List<String> rows = Files.readAllLines(out.resolve("segment-slices.csv"));
    assertEquals(13, rows.size(), "a row per slice");
    // The mask share per slice is the blob's, turned upright (a mask read the wrong way round would be
    // cut differently by nothing here, so check the share against the stored mask's own count).
    double share = Double.parseDouble(rows.get(1).split(",")[2]);
    assertTrue(share > 0.01 && share < 0.5, rows.get(1));
    // A model without a lesion head is refused by name, not scored.
    Path plainModel;
    try (org.ctnet.graph.runtime.ModelSession tiny = TestModels.tiny()) {
      plainModel = tiny.export(dir.resolve("plain-models").resolve("plain"), 1, tiny.assets());
    }
    CliTest.Run plain = CliTest.run("segment-eval", "--model", plainModel.toString(), "--data", masked.toString(),
        "--out", dir.resolve("seg-bad").toString());
    assertEquals(1, plain.exitCode(), plain.out() + plain.err());
    assertTrue(plain.err().contains("has no lesion head"), plain.err());
  }

  @Test
  void predictWritesInvolvementAndSeverityConsistentWithTheCategories() throws IOException {
    Path csv = dir.resolve("pred.csv");
    CliTest.Run r = CliTest.run("predict", "--model", model.toString(), "--input", data.resolve("covid").toString(),
        "--output", csv.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    List<String> rows = Files.readAllLines(csv);
    assertTrue(rows.get(0).contains(",lung_involvement,severity,input_check,ood_energy,ood_lesion_disagreement,"),
        rows.get(0));
    for (String row : rows.subList(1, rows.size())) {
      String[] cells = row.split(",");
      // A lesion model writes every out-of-distribution score, the lesion disagreement among them.
      assertFalse(cells[8].isEmpty() || cells[9].isEmpty() || cells[10].isEmpty(), row);
      double p = Double.parseDouble(cells[1]);
      assertEquals(Math.max(0, p - Math.min(1, Double.parseDouble(cells[5]) / 0.05)), Double.parseDouble(cells[9]),
          2e-6, "lesion disagreement from the row's own probability and involvement: " + row);
      double involvement = Double.parseDouble(cells[5]);
      assertTrue(involvement >= 0 && involvement <= 1, row);
      assertEquals(Severity.of(involvement).code(), cells[6], row);
      // 32×32 blobs are no chest CT: the checks say so, beside a label that is still given.
      assertTrue(cells[7].contains("image_too_small"), row);
      assertFalse(cells[2].isEmpty(), row);
    }
    CliTest.Run strict = CliTest.run("predict", "--model", model.toString(), "--input", data.resolve("covid").toString(),
        "--output", dir.resolve("strict.csv").toString(), "--strict");
    assertEquals(0, strict.exitCode(), strict.out() + strict.err());
    List<String> refused = Files.readAllLines(dir.resolve("strict.csv"));
    assertTrue(refused.subList(1, refused.size()).stream().allMatch(line -> line.split(",")[1].isEmpty()
        && line.contains("refused by the input checks")), refused.toString());
    assertTrue(strict.out().contains(" refused by the input checks"), strict.out());
  }

  @Test
  void scansGetAnInvolvementAndACategory() throws IOException {
    Path scans = dir.resolve("scans");
    Files.createDirectories(scans.resolve("pngscan"));
    try (var walk = Files.list(data.resolve("covid"))) {
      for (Path p : walk.sorted().limit(4).toList()) {
        Files.copy(p, scans.resolve("pngscan").resolve(p.getFileName()));
      }
    }
    CliTest.Run r = CliTest.run("predict", "--model", model.toString(), "--input", scans.toString(), "--scans",
        "--output", dir.resolve("scan-slices.csv").toString(), "--scan-output", dir.resolve("scans.csv").toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    List<String> rows = Files.readAllLines(dir.resolve("scans.csv"));
    assertTrue(rows.get(0).endsWith(",lung_involvement,severity,input_check,usable_slices"), rows.get(0));
    String[] cells = rows.get(1).split(",");
    double involvement = Double.parseDouble(cells[cells.length - 4]);
    assertEquals(Severity.of(involvement).code(), cells[cells.length - 3]);
    assertTrue(r.out().contains("lung involvement"), r.out());
    // Blob images are no chest slices: the scan says it was judged on too few usable slices.
    assertEquals("too_few_usable_slices", cells[cells.length - 2], rows.get(1));
    assertEquals("0", cells[cells.length - 1], rows.get(1));
    assertTrue(r.out().contains("input check: too_few_usable_slices (0 of 4 used slices pass their checks)"), r.out());
    List<String> slices = Files.readAllLines(dir.resolve("scan-slices.csv"));
    assertTrue(slices.get(0).endsWith(",lung_involvement,input_check"), slices.get(0));
    String html = Files.readString(dir.resolve("scans.html"));
    assertTrue(html.contains("Lung involvement") && html.contains("involvement 0."), "scans.html shows the involvement");
    assertTrue(slices.get(1).endsWith("no_lung_field") || slices.get(1).contains("lung_field"), slices.get(1));
    assertEquals(5, slices.size(), slices.toString());
  }

  @Test
  void explainDrawsTheLesionMapAndRefusesItWithoutAHead() throws IOException {
    Path out = dir.resolve("explain");
    Path slice = masked.resolve("images/m_" + Files.readAllLines(masked.resolve("manifest.csv")).get(1)
        .split(",")[0].replaceAll(".*m_", ""));
    CliTest.Run r = CliTest.run("explain", "--model", model.toString(), "--input", slice.toString(), "--out",
        out.toString(), "--methods", "gradcampp,lesion");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    try (var files = Files.list(out)) {
      List<String> names = files.map(p -> p.getFileName().toString()).toList();
      assertTrue(names.stream().anyMatch(n -> n.endsWith(".lesion.png")), names.toString());
      assertTrue(names.stream().anyMatch(n -> n.endsWith(".gradcampp.png")), names.toString());
    }
    JsonNode row = new ObjectMapper().readTree(out.resolve("explanations.json").toFile()).get("images").get(0);
    assertTrue(row.has("lung_involvement") && row.get("severity").asText().startsWith("CT-"), row.toString());
  }
}
