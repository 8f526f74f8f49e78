package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ctnet.graph.preprocess.Framing;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.trainer.data.MaskedSlices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lesion masks land where their lesions are in the model input, whatever the framing cuts away. */
class MaskFramingTest {
  static final int W = 120;
  static final int H = 100;

  @Test
  void aMaskFollowsItsImageIntoTheBodyFrame(@TempDir Path dir) throws IOException {
    // A body (grey 100) in the lower right of a black image, a bright lesion (200) inside it.
    float[] image = new float[W * H];
    float[] mask = new float[W * H];
    for (int y = 30; y < 90; y++) {
      for (int x = 20; x < 110; x++) {
        boolean lesion = x >= 60 && x < 76 && y >= 50 && y < 66;
        image[y * W + x] = (lesion ? 200 : 100) / 255f;
        mask[y * W + x] = lesion ? 1 : 0;
      }
    }
    Files.write(dir.resolve("image.png"), SyntheticImages.png(image, W, H));
    Files.write(dir.resolve("mask.png"), SyntheticImages.png(mask, W, H));
    MaskedSlices.Slice slice = new MaskedSlices.Slice(dir.resolve("image.png"), dir.resolve("mask.png"), MaskedSlices.Orientation.NONE, "p", false);
    for (Framing framing : Framing.values()) {
      ImagePreprocessor pre = new ImagePreprocessor(Preprocessing.forInput(40, 40, 1).withFraming(framing), 1_000_000);
      MaskedSlices.ModelView view = MaskedSlices.read(slice, pre);
      float[] input = view.input();
      boolean[] onInput = view.mask();
      double lesionLevel = framing == Framing.BODY ? 0.9 : 0.7; // the body frame stretches the lesion to 1
      assertTrue(iou(input, onInput, lesionLevel) > 0.7, framing + ": mask and lesion overlap "
          + iou(input, onInput, lesionLevel));
    }
    // The whole-image mask would miss the lesion of a body-framed input: the frame matters.
    ImagePreprocessor body = new ImagePreprocessor(Preprocessing.forInput(40, 40, 1).withFraming(Framing.BODY), 1_000_000);
    ImagePreprocessor whole = new ImagePreprocessor(Preprocessing.forInput(40, 40, 1), 1_000_000);
    double misplaced = iou(MaskedSlices.read(slice, body).input(), MaskedSlices.read(slice, whole).mask(), 0.9);
    assertTrue(misplaced < 0.5, "IoU " + misplaced);
  }

  /** Intersection over union of "brighter than level" and "inside the mask" on the model input. */
  private static double iou(float[] input, boolean[] mask, double level) {
    int both = 0;
    int either = 0;
    for (int i = 0; i < mask.length; i++) {
      boolean bright = input[i] > level;
      both += bright && mask[i] ? 1 : 0;
      either += bright || mask[i] ? 1 : 0;
    }
    return both / (double) Math.max(1, either);
  }
}
