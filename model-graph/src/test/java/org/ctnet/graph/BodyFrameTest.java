package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.preprocess.BodyFrame;
import org.ctnet.graph.preprocess.DecodeGraph;
import org.ctnet.graph.preprocess.Framing;
import org.ctnet.graph.preprocess.GreyImage;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/** The body frame: what it keeps and drops, and that Java and the serving_bytes graph agree on it. */
class BodyFrameTest {
  private static final Preprocessing BODY = Preprocessing.forInput(48, 40, 1).withFraming(Framing.BODY);

  /**
   * A chest-like slice: black surround, a bright body ellipse at (cx, cy) with two dark lungs, a
   * caption block in the top-left corner and a one-pixel ruler along the bottom.
   */
  static GreyImage slice(int w, int h, int cx, int cy, int rx, int ry, int tissue, Random noise) {
    float[] p = new float[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double e = Math.pow((x - cx) / (double) rx, 2) + Math.pow((y - cy) / (double) ry, 2);
        double lung = Math.min(Math.pow((x - cx + rx / 2.0) / (rx / 3.0), 2), Math.pow((x - cx - rx / 2.0) / (rx / 3.0), 2))
            + Math.pow((y - cy) / (ry / 1.6), 2);
        int v = e > 1 ? 5 : lung < 1 ? 30 : tissue;
        p[y * w + x] = Math.max(0, Math.min(255, v + noise.nextInt(9) - 4));
      }
    }
    for (int y = 2; y < 8; y++) {
      for (int x = 2; x < 30; x += 2) {
        p[y * w + x] = 255; // caption
      }
    }
    for (int x = 0; x < w; x += 3) {
      p[(h - 1) * w + x] = 250; // ruler
    }
    return new GreyImage(w, h, p);
  }

  @Test
  void theBoxHoldsTheBodyAndLeavesOutCaptionAndRuler() {
    GreyImage image = slice(200, 160, 110, 85, 60, 50, 160, new Random(1));
    BodyFrame frame = BodyFrame.find(image);
    // The body spans x 50..170, y 35..135; the margin is 4% of a side (8 and 6 pixels).
    assertTrue(frame.x() > 30 && frame.x() <= 50, "left " + frame);
    assertTrue(frame.x() + frame.width() >= 170 && frame.x() + frame.width() < 190, "right " + frame);
    assertTrue(frame.y() > 8 && frame.y() <= 35, "top (below the caption) " + frame);
    assertTrue(frame.y() + frame.height() < 159, "bottom (above the ruler) " + frame);
    // Levels: the 1st percentile is surround, the 99th tissue (not the caption's 255).
    assertTrue(frame.low() <= 9, "low " + frame);
    assertTrue(frame.high() >= 156 && frame.high() <= 164, "high " + frame);
    assertEquals(0f, frame.stretch(frame.low()));
    assertEquals(1f, frame.stretch(255));
  }

  @Test
  void aFlatOrBodilessImageKeepsTheWholeImage() {
    float[] flat = new float[64 * 50];
    java.util.Arrays.fill(flat, 90);
    BodyFrame frame = BodyFrame.find(new GreyImage(64, 50, flat));
    assertEquals(BodyFrame.whole(64, 50), frame, "a flat image: whole, levels unchanged");
    float[] dot = new float[64 * 50];
    dot[25 * 64 + 30] = 200; // one bright pixel: its box is far under a quarter of a side
    BodyFrame small = BodyFrame.find(new GreyImage(64, 50, dot));
    assertEquals(List.of(0, 0, 64, 50), List.of(small.x(), small.y(), small.width(), small.height()));
  }

  @Test
  void theServingBytesGraphFramesExactlyAsJava() throws Exception {
    Random random = new Random(7);
    List<byte[]> pngs = new ArrayList<>();
    List<float[]> javaPixels = new ArrayList<>();
    ImagePreprocessor pre = new ImagePreprocessor(BODY, 10_000_000);
    int cropped = 0;
    for (int i = 0; i < 12; i++) {
      int w = 60 + random.nextInt(140);
      int h = 50 + random.nextInt(120);
      GreyImage image = i == 11 ? new GreyImage(w, h, new float[w * h]) // all black: whole image
          : slice(w, h, w / 3 + random.nextInt(w / 3), h / 3 + random.nextInt(h / 3), w / 6 + random.nextInt(w / 5),
              h / 6 + random.nextInt(h / 5), 60 + random.nextInt(190), random);
      byte[] png = SyntheticImages.encode(grey(image), "png");
      cropped += BodyFrame.find(image).width() < w ? 1 : 0;
      pngs.add(png);
      javaPixels.add(pre.toModelInput(png));
    }
    assertTrue(cropped >= 8, "most test images are cropped: " + cropped);
    // Degenerate sizes: a single pixel and a 3×2 image frame the whole image in both implementations.
    for (int[] size : new int[][] {{1, 1}, {3, 2}}) {
      float[] tiny = new float[size[0] * size[1]];
      for (int p = 0; p < tiny.length; p++) {
        tiny[p] = random.nextInt(256);
      }
      byte[] png = SyntheticImages.encode(grey(new GreyImage(size[0], size[1], tiny)), "png");
      pngs.add(png);
      javaPixels.add(pre.toModelInput(png));
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var bytes = tf.placeholder(TString.class);
      Operand<TFloat32> decoded = DecodeGraph.decodeBatch(tf, bytes, BODY);
      try (TString in = TString.tensorOfBytes(NdArrays.vectorOfObjects(pngs.toArray(byte[][]::new)));
           var out = (TFloat32) s.runner().feed(bytes, in).fetch(decoded).run().get(0)) {
        assertEquals(Shape.of(pngs.size(), 48, 40, 1), out.shape());
        for (int i = 0; i < pngs.size(); i++) {
          float[] graph = new float[48 * 40];
          for (int p = 0; p < graph.length; p++) {
            graph[p] = out.getFloat(i, p / 40, p % 40, 0);
          }
          assertArrayEquals(javaPixels.get(i), graph, 1e-6f, "image " + i);
        }
      }
    }
  }

  @Test
  void aModelRemembersItsFramingAndOlderModelsReadAsWhole(@TempDir Path dir) throws Exception {
    ModelAssets assets = ModelAssets.defaults(TestModels.tinySpec());
    Preprocessing body = assets.preprocessing().withFraming(Framing.BODY);
    new ModelAssets(assets.spec(), assets.labels(), body, assets.decision(), assets.calibration(), null).write(dir);
    assertEquals(Framing.BODY, ModelAssets.read(dir).preprocessing().framing());
    Path file = dir.resolve(ModelNames.ASSETS_DIR).resolve(ModelNames.ASSET_PREPROCESSING);
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var tree = json.readTree(file.toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("preprocessing")).remove("framing");
    json.writeValue(file.toFile(), tree);
    assertEquals(Framing.WHOLE, ModelAssets.read(dir).preprocessing().framing(), "a model exported before framing");
    assertEquals(Framing.BODY, Framing.parse(" Body "));
    assertThrows(IllegalArgumentException.class, () -> Framing.parse("lungs"));
  }

  private static BufferedImage grey(GreyImage image) {
    BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < image.height(); y++) {
      for (int x = 0; x < image.width(); x++) {
        out.getRaster().setSample(x, y, 0, (int) image.at(x, y));
      }
    }
    return out;
  }
}
