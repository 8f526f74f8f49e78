package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportTest {
  @TempDir static Path dir;
  private static ModelSession trained;
  private static Path version1;
  private static final SyntheticImages.Batch BATCH = SyntheticImages.blobs(6, 32, 5);

  @BeforeAll
  static void exportOnce() throws IOException {
    trained = TestModels.trainedOnBlobs(30, 8);
    ModelAssets assets = trained.assets().withDecision(new ModelAssets.Decision(0.4, "test"));
    version1 = trained.export(dir.resolve("tiny"), 1, assets);
  }

  @AfterAll
  static void close() {
    trained.close();
  }

  private static void assertSame(Prediction a, Prediction b, double tolerance) {
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.probabilities()[i], b.probabilities()[i], (float) tolerance);
      assertArrayEquals(a.logits()[i], b.logits()[i], (float) tolerance);
    }
  }

  @Test
  void exportLaysOutTfServingVersionFolderWithAssetsAndNoStagingLeft() throws IOException {
    assertEquals(dir.resolve("tiny/1"), version1);
    assertTrue(Files.isRegularFile(version1.resolve("saved_model.pb")));
    assertTrue(Files.isRegularFile(version1.resolve("variables/variables.index")));
    for (String asset : List.of("model.json", "labels.txt", "preprocessing.json")) {
      assertTrue(Files.isRegularFile(version1.resolve("assets.extra").resolve(asset)), asset);
    }
    try (Stream<Path> children = Files.list(dir.resolve("tiny"))) {
      assertEquals(List.of("1"), children.map(p -> p.getFileName().toString()).toList());
    }
    assertEquals(1, ModelExport.latestVersion(dir.resolve("tiny")).getAsLong());
    ModelAssets assets = ModelAssets.read(version1);
    assertEquals(0.4, assets.decision().threshold());
    assertEquals(List.of("non-covid", "covid"), assets.labels());
    assertEquals(trained.spec(), assets.spec());
  }

  /** The input size is written in model.json and preprocessing.json: a copy whose two disagree is refused on read. */
  @Test
  void assetsWhoseTwoInputSizesDisagreeAreRefused() throws IOException {
    Path copy = dir.resolve("disagreeing");
    Files.createDirectories(copy.resolve("assets.extra"));
    try (Stream<Path> files = Files.list(version1.resolve("assets.extra"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, copy.resolve("assets.extra").resolve(f.getFileName()));
      }
    }
    Path pre = copy.resolve("assets.extra/preprocessing.json");
    String json = Files.readString(pre);
    assertTrue(json.contains("\"height\" : 32"), json);
    Files.writeString(pre, json.replace("\"height\" : 32", "\"height\" : 64"));
    var e = assertThrows(Exception.class, () -> ModelAssets.read(copy));
    assertTrue(String.valueOf(e.getMessage()).contains("does not match the network input 32x32x1"), e.toString());
  }

  @Test
  void versionsAreImmutable() {
    assertThrows(FileAlreadyExistsException.class, () -> trained.export(dir.resolve("tiny"), 1, trained.assets()));
    var e = assertThrows(IllegalArgumentException.class, () -> trained.export(dir.resolve("tiny"), 0, trained.assets()));
    assertTrue(e.getMessage().contains("got 0"));
  }

  @Test
  void loadedModelGivesIdenticalOutputsForEverySignature() throws IOException {
    try (LoadedModel loaded = LoadedModel.load(version1, SessionOptions.DEFAULT)) {
      assertEquals(List.copyOf(ModelNames.SIGNATURES).stream().sorted().toList(),
          loaded.signatures().keySet().stream().sorted().toList());
      assertEquals(ModelNames.PREDICT_METHOD, loaded.signatures().get(ModelNames.SERVING_DEFAULT).methodName());
      assertSame(trained.predict(BATCH.pixels(), 6), loaded.predict(BATCH.pixels(), 6), 0);
      int[] classes = {-1, 0, 1, -1, 1, 0};
      Explanation a = trained.explain(BATCH.pixels(), 6, classes);
      Explanation b = loaded.explain(BATCH.pixels(), 6, classes);
      assertArrayEquals(a.targetClass(), b.targetClass());
      for (CamMethod m : CamMethod.values()) {
        for (int i = 0; i < 6; i++) {
          assertArrayEquals(a.maps().get(m).heatmap()[i], b.maps().get(m).heatmap()[i], 0f);
          assertArrayEquals(a.maps().get(m).cam()[i], b.maps().get(m).cam()[i], 0f);
        }
      }
    }
  }

  @Test
  void servingBytesOnPngEqualsServingDefaultOnTheDecodedPixels() throws IOException {
    try (LoadedModel loaded = LoadedModel.load(version1, SessionOptions.DEFAULT)) {
      float[] pixels = SyntheticImages.quantised(BATCH.pixels());
      List<byte[]> pngs = new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) {
        float[] one = new float[32 * 32];
        System.arraycopy(pixels, i * 32 * 32, one, 0, one.length);
        pngs.add(SyntheticImages.png(one, 32, 32));
      }
      assertSame(loaded.predict(pixels, 6), loaded.predictEncoded(pngs), 1e-5);
    }
  }

  @Test
  void javaPreprocessingMatchesTheInGraphDecoderOnOtherSizes() throws IOException {
    // A 57x41 grey PNG and an RGB JPEG: resized in the graph vs by ImagePreprocessor.
    java.util.Random random = new java.util.Random(3);
    BufferedImage grey = new BufferedImage(57, 41, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 41; y++) {
      for (int x = 0; x < 57; x++) {
        grey.getRaster().setSample(x, y, 0, (x * 7 + y * 3 + random.nextInt(20)) % 256);
      }
    }
    byte[] png = SyntheticImages.encode(grey, "png");
    ImagePreprocessor pre = new ImagePreprocessor(trained.assets().preprocessing(), 10_000_000);
    float[] javaPixels = pre.toModelInput(png);
    Prediction inGraph = trained.predictEncoded(List.of(png));
    Prediction viaJava = trained.predict(javaPixels, 1);
    assertSame(inGraph, viaJava, 1e-5);
  }

  @Test
  void theExportedTrainStepSignatureKeepsTrainingTheLoadedModel() throws IOException {
    // What a TF client of the SavedModel does: feed train_step's inputs by their signature names.
    try (LoadedModel loaded = LoadedModel.load(version1, SessionOptions.DEFAULT)) {
      org.tensorflow.Signature step = loaded.signatures().get(ModelNames.TRAIN_STEP);
      Prediction before = loaded.predict(BATCH.pixels(), 6);
      float first = trainStep(loaded, step);
      float last = first;
      for (int i = 0; i < 30; i++) {
        last = trainStep(loaded, step);
      }
      assertTrue(last < first, "loss " + first + " -> " + last);
      assertNotEquals(before.logits()[0][0], loaded.predict(BATCH.pixels(), 6).logits()[0][0]);
    }
  }

  private static float trainStep(LoadedModel model, org.tensorflow.Signature step) {
    var in = step.getInputs();
    try (var images = org.ctnet.graph.runtime.TensorIo.floats(BATCH.pixels(), 6, 32, 32, 1);
        var labels = org.ctnet.graph.runtime.TensorIo.ints(BATCH.labels());
        var lr = org.ctnet.graph.runtime.TensorIo.scalar(0.01f);
        var r = model.session().runner()
            .feed(in.get(ModelNames.IN_IMAGES).name, images)
            .feed(in.get(ModelNames.IN_LABELS).name, labels)
            .feed(in.get(ModelNames.IN_LEARNING_RATE).name, lr)
            .fetch(step.getOutputs().get(ModelNames.OUT_LOSS).name)
            .run()) {
      return org.ctnet.graph.runtime.TensorIo.readScalar(r.get(0));
    }
  }

  @Test
  void rebuildingFromTheSpecRestoresTheSameNetwork() throws IOException {
    TrainingSpec frozen = TrainingSpec.defaults(OptimizerKind.SGD_MOMENTUM).withFrozenScopes(List.of("stem"));
    try (ModelSession rebuilt = ModelSession.rebuild(version1, frozen, SessionOptions.DEFAULT)) {
      assertSame(trained.predict(BATCH.pixels(), 6), rebuilt.predict(BATCH.pixels(), 6), 0);
      assertEquals(0, rebuilt.globalStep(), "optimizer state is fresh");
    }
  }

  @Test
  void missingOrBrokenModelsFailWithClearMessages() throws IOException {
    var e = assertThrows(IOException.class, () -> LoadedModel.load(dir.resolve("nothing"), SessionOptions.DEFAULT));
    assertTrue(e.getMessage().contains("no saved_model.pb"), e.getMessage());
    Path broken = dir.resolve("broken/1");
    Files.createDirectories(broken);
    Files.copy(version1.resolve("saved_model.pb"), broken.resolve("saved_model.pb"));
    e = assertThrows(IOException.class, () -> LoadedModel.load(broken, SessionOptions.DEFAULT));
    assertTrue(e.getMessage().contains("lacks its asset"), e.getMessage());
  }
}
