package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.check.InputCheck.Reason;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.testing.DicomFiles;
import org.ctnet.graph.testing.SyntheticImages;
import org.junit.jupiter.api.Test;

/**
 * The input checks on synthetic chests whose Hounsfield units are known: the same slice passes in the
 * lung window and is flagged in a mediastinal or bone window; a slice without lungs, a small image, a
 * non-CT modality, a non-axial slice and a slice without its rescale are flagged by name.
 */
class InputCheckTest {
  private static final int SIDE = 160;
  private static final ImagePreprocessor PRE = new ImagePreprocessor(Preprocessing.forInput(224, 224, 1), 10_000_000);

  /** The chest's HU through a window, as an 8-bit PNG an export would hold. */
  private static byte[] png(short[] hu, int side, double level, double width) {
    float[] grey = new float[hu.length];
    for (int i = 0; i < hu.length; i++) {
      grey[i] = (float) Math.max(0, Math.min(1, (hu[i] - (level - width / 2)) / width));
    }
    return SyntheticImages.png(grey, side, side);
  }

  private static short[] chestWithVessels(int side) {
    short[] hu = DicomFiles.chest(side, true);
    for (int i = 0; i < hu.length; i += 37) {
      if (hu[i] == -800) {
        hu[i] = -300; // a few vessels: the lungs are not flat
      }
    }
    return hu;
  }

  private static List<Reason> reasons(byte[] image) throws Exception {
    return InputCheck.inspect(image, PRE).check().reasons();
  }

  @Test
  void theSameSlicePassesInALungWindowAndIsFlaggedInOthers() throws Exception {
    short[] hu = chestWithVessels(SIDE);
    InputCheck.Result lung = InputCheck.inspect(png(hu, SIDE, -600, 1500), PRE).check();
    assertTrue(lung.ok(), lung.code() + " " + lung);
    assertEquals(List.of(Reason.NOT_A_LUNG_WINDOW), reasons(png(hu, SIDE, 40, 400)), "mediastinal window");
    assertEquals(List.of(Reason.NOT_A_LUNG_WINDOW), reasons(png(hu, SIDE, 500, 2000)), "bone window");
    assertEquals("not_a_lung_window", InputCheck.inspect(png(hu, SIDE, 40, 400), PRE).check().code());
  }

  @Test
  void slicesWithoutLungsAndSmallImagesAreFlagged() throws Exception {
    List<Reason> noLungs = reasons(png(DicomFiles.chest(SIDE, false), SIDE, -600, 1500));
    assertTrue(noLungs.contains(Reason.NO_LUNG_FIELD) || noLungs.contains(Reason.LUNG_FIELD_TOO_SMALL), noLungs.toString());
    assertTrue(reasons(png(chestWithVessels(64), 64, -600, 1500)).contains(Reason.IMAGE_TOO_SMALL));
  }

  @Test
  void dicomHeadersAreCheckedToo() throws Exception {
    short[] hu = chestWithVessels(SIDE);
    DicomFiles.Slice ct = DicomFiles.Slice.axial("1.2.3.4", 1, 0, hu, SIDE);
    assertTrue(InputCheck.inspect(DicomFiles.write(ct), PRE).check().ok(), "a CT chest slice");
    DicomFiles.Slice mr = new DicomFiles.Slice("MR", ct.imageType(), ct.studyUid(), ct.seriesUid(), 1, ct.position(),
        ct.orientation(), SIDE, SIDE, hu);
    assertTrue(reasons(DicomFiles.write(mr)).contains(Reason.NOT_CT));
    DicomFiles.Slice coronal = new DicomFiles.Slice("CT", ct.imageType(), ct.studyUid(), ct.seriesUid(), 1,
        ct.position(), new double[] {1, 0, 0, 0, 0, -1}, SIDE, SIDE, hu);
    assertTrue(reasons(DicomFiles.write(coronal)).contains(Reason.NOT_AXIAL));
    // Stored values shifted up by 1200 (a wrong or missing rescale): no air near -1000 HU.
    short[] shifted = hu.clone();
    for (int i = 0; i < shifted.length; i++) {
      shifted[i] = (short) (shifted[i] + 1200);
    }
    assertTrue(reasons(DicomFiles.write(DicomFiles.Slice.axial("1.2.3.5", 1, 0, shifted, SIDE)))
        .contains(Reason.NO_HOUNSFIELD_CALIBRATION));
  }
}
