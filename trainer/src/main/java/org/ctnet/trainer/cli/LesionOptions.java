package org.ctnet.trainer.cli;

import org.ctnet.trainer.data.ImageLimits;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.trainer.data.LesionStore;
import org.ctnet.trainer.data.MaskedSlices;
import org.ctnet.trainer.train.LesionGuidance;
import org.ctnet.trainer.train.Progress;
import picocli.CommandLine.Option;

/**
 * Lesion guidance from slices with infection masks (train, cross-validate). A share of the masked
 * slices' patients is held out of training and listed in the run folder, so the maps can be scored
 * on patients the guidance never saw ({@code ctnet explain-eval --groups}).
 */
public final class LesionOptions {
  /** Patients held out of lesion guidance, one per line (for {@code explain-eval --groups}). */
  public static final String HOLDOUT_GROUPS = "lesion-holdout-groups.txt";

  @Option(names = "--lesion-masks", paramLabel = "DIR",
      description = "Folder of slices with infection masks (manifest.csv: image, mask[, patient_id, orientation_fix, "
          + "mask_kind]); repeatable. Mixed into the epochs without a classification loss: with a lesion head (spec "
          + "lesionHead) they train it, otherwise they pull the covid Grad-CAM into the masks.")
  List<Path> folders = new ArrayList<>();

  @Option(names = "--lesion-weight", defaultValue = "1.0",
      description = "Weight of the lesion term against the classification loss (default ${DEFAULT-VALUE}).")
  double weight;

  @Option(names = "--lesion-mix", defaultValue = "0.2",
      description = "Share of each epoch's images drawn from the masked slices (default ${DEFAULT-VALUE}).")
  double mix;

  @Option(names = "--pseudo-mask-weight", defaultValue = "0.5",
      description = "Weight factor of model-generated masks (mask_kind pseudo...) against radiologist masks (default ${DEFAULT-VALUE}).")
  double pseudoMaskWeight;

  @Option(names = "--negative-lesion-weight", defaultValue = "0.3",
      description = "With a lesion head: weight factor of the empty lesion mask given to the class sources' non-COVID "
          + "slices (low, since they may show other disease; default ${DEFAULT-VALUE}).")
  double negativeWeight;

  @Option(names = "--lesion-holdout", defaultValue = "0.2",
      description = "Share of the masked slices' patients kept out of training, for scoring the maps (default ${DEFAULT-VALUE}).")
  double holdout;

  @Option(names = "--lesion-orientation-fix", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Turn masked slices back as their manifest's orientation_fix column says (default on; "
          + "--no-lesion-orientation-fix ignores the column).")
  boolean orientationFix;

  /**
   * The guidance these options ask for ({@link LesionGuidance#OFF} without --lesion-masks), after
   * checking that every folder has a readable manifest (before a model is built for nothing).
   */
  LesionGuidance guidance() throws IOException {
    if (!(holdout >= 0 && holdout < 1)) {
      throw new IllegalArgumentException("--lesion-holdout must be in [0, 1), got " + holdout);
    }
    if (folders.isEmpty()) {
      return LesionGuidance.OFF;
    }
    LesionGuidance guidance = new LesionGuidance(weight, mix, pseudoMaskWeight, negativeWeight);
    for (Path folder : folders) {
      MaskedSlices.read(folder, orientationFix);
    }
    return guidance;
  }

  /**
   * Reads the masked slices, holds out a seeded share of each folder's patients (listed in
   * {@code run}/{@value #HOLDOUT_GROUPS}) and loads the rest (empty masks too when {@code keepEmpty}:
   * a lesion head learns from them); null without --lesion-masks.
   */
  LesionStore load(Path run, long seed, Preprocessing preprocessing, boolean keepEmpty, PrintWriter out)
      throws IOException {
    if (folders.isEmpty()) {
      return null;
    }
    List<List<MaskedSlices.Slice>> training = new ArrayList<>();
    List<String> heldOut = new ArrayList<>();
    for (Path folder : folders) {
      List<MaskedSlices.Slice> slices = MaskedSlices.read(folder, orientationFix);
      List<String> groups = new ArrayList<>(new TreeSet<>(slices.stream().map(MaskedSlices.Slice::group).toList()));
      Collections.shuffle(groups, new Random(seed));
      List<String> held = groups.subList(0, (int) Math.round(groups.size() * holdout));
      training.add(MaskedSlices.filter(slices, held, false));
      heldOut.addAll(held);
      out.printf("lesion masks: %s — %d slices of %d patients, %d patients held out%n", folder, slices.size(),
          groups.size(), held.size());
    }
    Files.createDirectories(run);
    Files.write(run.resolve(HOLDOUT_GROUPS), heldOut);
    ImagePreprocessor preprocessor = new ImagePreprocessor(preprocessing, ImageLimits.MAX_PIXELS);
    try (Progress progress = new Progress("loading masked slices", training.stream().mapToInt(List::size).sum(), out)) {
      int[] done = {0};
      LesionStore store = LesionStore.loadFolders(training, preprocessor, pseudoMaskWeight, keepEmpty, i -> {
        progress.step(i - done[0], "");
        done[0] = i;
      });
      if (MaskedSlices.nonBinaryMasks() > 0) {
        out.printf("lesion masks: %d of them not binary, thresholded at 127%n", MaskedSlices.nonBinaryMasks());
      }
      out.printf("lesion %s: %d slices (%d empty masks%s), weight %.3g, %.0f%% of each epoch%n",
          keepEmpty ? "head" : "guidance", store.size(), store.emptyMasks(), keepEmpty ? "" : " left out", weight, 100 * mix);
      return store;
    }
  }
}
