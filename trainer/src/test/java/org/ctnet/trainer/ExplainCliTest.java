package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** explain, occlusion and explain-eval through the real CLI on a blob model with blob masks. */
class ExplainCliTest {
  @TempDir static Path dir;
  static Path model;
  static Path masks;

  @BeforeAll
  static void setUp() throws IOException {
    try (ModelSession m = TestModels.trainedOnBlobs(1000, 5)) {
      model = m.export(dir.resolve("models/blobs"), 1, m.assets());
    }
    // A mask dataset in the medseg layout: positives with their blob as the mask (image size 48 ≠ 32
    // to exercise resizing), plus one empty mask.
    masks = dir.resolve("masks");
    Files.createDirectories(masks.resolve("images"));
    Files.createDirectories(masks.resolve("masks"));
    SyntheticImages.Batch b = SyntheticImages.blobs(42, 32, 31337);
    StringBuilder manifest = new StringBuilder("image,mask,label\n");
    for (int i = 1; i < 42; i += 2) {
      // The last image is 48x48 (resized to the model input with its mask); one mask is empty.
      int size = i == 39 ? 48 : 32;
      BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
      BufferedImage mask = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          int sx = x * 32 / size;
          int sy = y * 32 / size;
          img.getRaster().setSample(x, y, 0, Math.round(b.image(i)[sy * 32 + sx] * 255));
          mask.getRaster().setSample(x, y, 0, i == 41 ? 0 : (b.insideBlob(i, sx, sy) ? 255 : 0));
        }
      }
      String name = String.format("s_%02d.png", i);
      Files.write(masks.resolve("images").resolve(name), SyntheticImages.encode(img, "png"));
      Files.write(masks.resolve("masks").resolve(name), SyntheticImages.encode(mask, "png"));
      manifest.append("images/").append(name).append(",masks/").append(name).append(",covid\n");
    }
    Files.writeString(masks.resolve("manifest.csv"), manifest.toString());
  }

  @Test
  void explainWritesOverlaysAndRawMapsPerMethod() throws IOException {
    Path out = dir.resolve("explain");
    CliTest.Run r = CliTest.run("explain", "--model", model.toString(), "--input", masks.resolve("images").toString(),
        "--out", out.toString(), "--methods", "all");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    for (String m : new String[] {"gradcam", "gradcampp", "hirescam", "layercam", "xgradcam", "attention"}) {
      assertTrue(Files.isRegularFile(out.resolve("s_01." + m + ".png")), m);
      assertEquals(32 * 32 * 4, Files.size(out.resolve("s_01." + m + ".f32")), m);
    }
    JsonNode summary = new ObjectMapper().readTree(out.resolve("explanations.json").toFile());
    assertEquals(21, summary.get("images").size());
    CliTest.Run bad = CliTest.run("explain", "--model", model.toString(), "--input", masks.toString(), "--methods", "magic");
    assertEquals(1, bad.exitCode());
    assertTrue(bad.err().contains("CAM method"), bad.err());
  }

  @Test
  void occlusionAndExplainEvalAgreeWithTheBlobMasks() throws IOException {
    Path occ = dir.resolve("occ");
    CliTest.Run r = CliTest.run("occlusion", "--model", model.toString(), "--input", masks.resolve("images/s_01.png").toString(),
        "--out", occ.toString(), "--window", "8", "--stride", "4");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(Files.isRegularFile(occ.resolve("s_01.occlusion.png")));
    r = CliTest.run("occlusion", "--model", model.toString(), "--input", masks.resolve("images/s_01.png").toString(),
        "--out", dir.resolve("occ-p").toString(), "--window", "8", "--stride", "4", "--score", "probability");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    r = CliTest.run("occlusion", "--model", model.toString(), "--input", masks.resolve("images/s_01.png").toString(),
        "--score", "odds");
    assertEquals(2, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().contains("expected log-odds or probability"), r.err());
    Path out = dir.resolve("eval");
    r = CliTest.run("explain-eval", "--model", model.toString(), "--data", masks.toString(), "--out", out.toString(),
        "--occlusion");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode m = new ObjectMapper().readTree(out.resolve("explain-metrics.json").toFile());
    assertEquals(20, m.get("images").asInt());
    assertEquals(1, m.get("empty_masks_skipped").asInt());
    JsonNode methods = m.get("methods");
    double area = m.get("mean_mask_area_fraction").asDouble();
    // Occlusion asks the model directly: it must find the blob. The CAM methods must clearly beat
    // the random baseline (the strict Grad-CAM++ localisation check is LocalisationTest).
    assertTrue(methods.get("occlusion").get("pointing_game").asDouble() >= 0.8, methods.toString());
    assertTrue(methods.get("occlusion").get("energy_in_mask").asDouble() > 2 * area, methods.toString());
    for (String method : new String[] {"gradcampp", "layercam", "occlusion"}) {
      assertTrue(methods.get(method).get("pointing_game").asDouble()
          >= methods.get("baseline_random").get("pointing_game").asDouble() + 0.3, method + " " + methods);
      assertTrue(methods.get(method).get("pixel_auroc").asDouble()
          > methods.get("baseline_random").get("pixel_auroc").asDouble() + 0.2, method + " " + methods);
      assertTrue(methods.get(method).get("faithfulness_gap").asDouble() > 0.05, method + " " + methods);
    }
    assertTrue(methods.has("occlusion") && methods.has("baseline_centre_gaussian"));
    assertTrue(Files.readString(out.resolve("explain-eval.html")).contains("data:image/png;base64,"));
  }

  @Test
  void explainEvalTurnsTransposedSlicesBackAndKeepsListedGroups() throws IOException {
    // The same slices stored transposed (as Inf-Net packages its data), flagged in the manifest,
    // with a patient per slice: the scores must equal those of the upright copies.
    Path transposed = dir.resolve("masks-transposed");
    Files.createDirectories(transposed.resolve("images"));
    Files.createDirectories(transposed.resolve("masks"));
    StringBuilder manifest = new StringBuilder("image,mask,label,patient_id,orientation_fix\n");
    List<String> evenPatients = new java.util.ArrayList<>();
    int row = 0;
    for (String line : Files.readAllLines(masks.resolve("manifest.csv")).subList(1, 22)) {
      String[] cells = line.split(",");
      for (String file : new String[] {cells[0], cells[1]}) {
        BufferedImage upright = javax.imageio.ImageIO.read(masks.resolve(file).toFile());
        BufferedImage flipped = new BufferedImage(upright.getHeight(), upright.getWidth(), BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < upright.getHeight(); y++) {
          for (int x = 0; x < upright.getWidth(); x++) {
            flipped.getRaster().setSample(y, x, 0, upright.getRaster().getSample(x, y, 0));
          }
        }
        Files.write(transposed.resolve(file), SyntheticImages.encode(flipped, "png"));
      }
      String patient = "p" + row;
      if (row++ % 2 == 0) {
        evenPatients.add(patient);
      }
      manifest.append(cells[0]).append(',').append(cells[1]).append(",covid,").append(patient).append(",transpose\n");
    }
    Files.writeString(transposed.resolve("manifest.csv"), manifest.toString());
    Path upright = dir.resolve("eval-upright");
    Path turned = dir.resolve("eval-turned");
    assertEquals(0, CliTest.run("explain-eval", "--model", model.toString(), "--data", masks.toString(), "--out",
        upright.toString()).exitCode());
    CliTest.Run r = CliTest.run("explain-eval", "--model", model.toString(), "--data", transposed.toString(), "--out",
        turned.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode a = new ObjectMapper().readTree(upright.resolve("explain-metrics.json").toFile()).get("methods");
    JsonNode b = new ObjectMapper().readTree(turned.resolve("explain-metrics.json").toFile()).get("methods");
    for (String method : new String[] {"gradcampp", "attention", "baseline_centre_gaussian"}) {
      for (String metric : new String[] {"pointing_game", "energy_in_mask", "pixel_auroc"}) {
        assertEquals(a.get(method).get(metric).asDouble(), b.get(method).get(metric).asDouble(), 1e-6, method + " " + metric);
      }
    }
    assertTrue(new ObjectMapper().readTree(turned.resolve("explain-metrics.json").toFile()).get("orientation_fix_applied").asBoolean());
    // Told to ignore the column (a manifest recording a fix already applied), the slices stay as stored.
    List<org.ctnet.trainer.data.MaskedSlices.Slice> asStored = org.ctnet.trainer.data.MaskedSlices.read(transposed, false);
    assertTrue(asStored.stream().noneMatch(org.ctnet.trainer.data.MaskedSlices.Slice::turned));
    assertTrue(org.ctnet.trainer.data.MaskedSlices.read(transposed, true).stream()
        .allMatch(org.ctnet.trainer.data.MaskedSlices.Slice::turned));
    Path groups = dir.resolve("even-patients.txt");
    Files.write(groups, evenPatients);
    Path subset = dir.resolve("eval-subset");
    r = CliTest.run("explain-eval", "--model", model.toString(), "--data", transposed.toString(), "--out",
        subset.toString(), "--groups", groups.toString(), "--fuse-layers", "stage1/attention0,stage2/unit0", "--lungs");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode m = new ObjectMapper().readTree(subset.resolve("explain-metrics.json").toFile());
    // LayerCAM fused over two layers, plain and restricted to the lung field, beside the rest.
    JsonNode fused = m.get("methods").get("layercam-fusion");
    assertTrue(fused.get("pixel_auroc").asDouble() > m.get("methods").get("baseline_random").get("pixel_auroc").asDouble() + 0.1,
        m.get("methods").toString());
    assertTrue(m.get("methods").has("layercam-fusion+lungs") && m.get("methods").has("gradcampp+lungs"));
    CliTest.Run badLayer = CliTest.run("explain-eval", "--model", model.toString(), "--data", transposed.toString(),
        "--out", dir.resolve("eval-bad").toString(), "--fuse-layers", "stage7/unit1");
    assertNotEquals(0, badLayer.exitCode());
    assertTrue(badLayer.err().contains("stage7/unit1"), badLayer.err());
    // 11 even rows, one of them (row 20) the empty mask.
    assertEquals(10, m.get("images").asInt());
    assertEquals(1, m.get("empty_masks_skipped").asInt());
    Files.writeString(groups, "nobody\n");
    r = CliTest.run("explain-eval", "--model", model.toString(), "--data", transposed.toString(), "--groups", groups.toString());
    assertEquals(1, r.exitCode());
    assertTrue(r.err().contains("no slice"), r.err());
  }
}
