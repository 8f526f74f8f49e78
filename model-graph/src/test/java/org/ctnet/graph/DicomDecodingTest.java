package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.ctnet.graph.preprocess.GreyImage;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.ImageTooLargeException;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.testing.DicomFiles;
import org.ctnet.graph.testing.DicomFiles.Slice;
import org.junit.jupiter.api.Test;

/** DICOM reaches the preprocessing through the dicom module with the graph's image types and refusals. */
class DicomDecodingTest {
  private static final byte[] CHEST = DicomFiles.write(Slice.axial("1", 1, 0, DicomFiles.chest(64, true), 64));

  @Test
  void aDicomSliceIsDecodedThroughTheModelsLungWindow() throws Exception {
    Preprocessing pre = Preprocessing.forInput(32, 32, 1);
    GreyImage grey = new ImagePreprocessor(pre, 1_000_000).decode(CHEST);
    assertEquals(64, grey.width());
    double low = pre.windowCenter() - pre.windowWidth() / 2;
    // The corner is air outside the body (−1000 HU), the centre soft tissue (40 HU).
    assertEquals(Math.round((-1000 - low) / pre.windowWidth() * 255), grey.at(0, 0), "air");
    assertEquals(Math.round((40 - low) / pre.windowWidth() * 255), grey.at(32, 32), "soft tissue");
  }

  @Test
  void refusalsKeepTheirKind() {
    var tooLarge = assertThrows(ImageTooLargeException.class,
        () -> new ImagePreprocessor(Preprocessing.forInput(32, 32, 1), 64 * 64 - 1).decode(CHEST));
    assertTrue(tooLarge.getMessage().contains("64x64x1 pixels"), tooLarge.getMessage());
    byte[] truncated = java.util.Arrays.copyOf(CHEST, CHEST.length - 100);
    var broken = assertThrows(ImageDecodeException.class,
        () -> new ImagePreprocessor(Preprocessing.forInput(32, 32, 1), 1_000_000).decode(truncated));
    assertTrue(broken.getMessage().contains("truncated DICOM"), broken.getMessage());
  }
}
