package org.ctnet.trainer.train;

import org.ctnet.graph.runtime.LesionFeed;
import org.ctnet.graph.runtime.BagFeed;
import org.ctnet.graph.runtime.StepResult;
import org.ctnet.trainer.eval.EpochRecord;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.LesionStore;
import org.ctnet.trainer.data.StudyStore;

/**
 * The training loop: shuffled, augmented batches; a learning rate fed per step; validation AUC
 * after every epoch; a checkpoint and an atomically written {@code state.json} after every epoch;
 * early stopping; and at the end the best epoch's weights restored into the model.
 *
 * <p>Everything random is derived from (seed, epoch, position), and the graph's own randomness
 * from its step counter, so a run killed at any point and resumed repeats the same batches.
 */
public final class Trainer {
  public static final String STATE = "state.json";
  public static final String LOG = "training-log.jsonl";
  private static final String CHECKPOINTS = "checkpoints";

  private final ModelSession model;
  private final TrainConfig config;
  private final Path runDir;
  private final PrintWriter out;

  public Trainer(ModelSession model, TrainConfig config, Path runDir, PrintWriter out) {
    this.model = model;
    this.config = config;
    this.runDir = runDir;
    this.out = out;
  }

  /** Runs (or resumes) training and leaves the best weights in the model. */
  public RunState train(ImageStore train, ImageStore validation, boolean resume) throws IOException {
    return train(train, null, validation, resume);
  }

  /**
   * As {@link #train(ImageStore, ImageStore, boolean)}, rehearsing: each epoch also draws
   * {@code referenceMix} of its images at random from {@code rehearsal} (e.g. the source the
   * model was first trained on), so fine-tuning keeps what it knew.
   */
  public RunState train(ImageStore train, ImageStore rehearsal, ImageStore validation, boolean resume)
      throws IOException {
    return train(train, rehearsal, null, validation, resume);
  }

  /**
   * As {@link #train(ImageStore, ImageStore, ImageStore, boolean)}, with lesion guidance: each
   * epoch also draws {@code config.lesion().mix()} of its images from {@code lesions}; they are
   * fed unaugmented, with no classification loss and the lesion term only.
   */
  public RunState train(ImageStore train, ImageStore rehearsal, LesionStore lesions, ImageStore validation,
      boolean resume) throws IOException {
    return train(new Sets(train, rehearsal, lesions, null), Validation.slices(validation), resume);
  }

  /**
   * What one run trains on.
   *
   * @param slices slice-labelled images (may be empty when studies carry the run)
   * @param rehearsal reference-source images mixed in at {@code config.referenceMix()} (or null)
   * @param lesions masked slices for lesion guidance (or null)
   * @param studies studies with one label each, trained as bags ({@code config.studies()}; or null)
   */
  public record Sets(ImageStore slices, ImageStore rehearsal, LesionStore lesions, StudyStore studies) {
    int studyCount() {
      return studies == null ? 0 : studies.size();
    }
  }

  /**
   * Runs (or resumes) training on slice-labelled images, studies, or both, judged after every
   * epoch by {@code validation}, and leaves the best epoch's weights in the model.
   */
  public RunState train(Sets sets, Validation validation, boolean resume) throws IOException {
    checkSets(sets);
    Files.createDirectories(runDir.resolve(CHECKPOINTS));
    RunState state = start(resume);
    Path statePath = runDir.resolve(STATE);
    float[] classWeights = config.balanceClasses() ? balancedWeights(trainingLabels(sets), model.spec().numClasses()) : null;
    int stale = state.bestEpoch() == 0 ? 0 : state.completedEpochs() - state.bestEpoch();
    for (int epoch = state.completedEpochs() + 1; epoch <= config.epochs(); epoch++) {
      if (config.patience() > 0 && stale >= config.patience()) {
        out.printf("early stop: no better validation AUC for %d epochs%n", stale);
        break;
      }
      long started = System.nanoTime();
      EpochPlan plan = EpochPlan.of(config, sets, epoch, selectSlices(sets.studies(), epoch));
      EpochTally tally = new EpochTally();
      try (Progress progress = new Progress(String.format("epoch %d/%d", epoch, config.epochs()), plan.images(), out)) {
        int done = 0;
        for (List<Integer> batchEntries : plan.batches()) {
          double lr = config.learningRateAt(epoch - 1 + (double) done / plan.images());
          int n = step(sets, plan, epoch, batchEntries, lr, classWeights, tally);
          done += n;
          double seconds = (System.nanoTime() - started) / 1e9;
          progress.step(n, tally.status(lr, done / seconds));
        }
      }
      double trainSeconds = (System.nanoTime() - started) / 1e9;
      HeldOutScores val = validation.evaluate(model);
      double seconds = (System.nanoTime() - started) / 1e9;
      EpochRecord record = new EpochRecord(epoch, tally.loss(), tally.accuracy(), val.loss(), val.accuracy(),
          val.auc(), tally.lr, plan.images() / trainSeconds, seconds, tally.lesionLoss(), tally.bagLoss());
      // Ties in AUC (common when it saturates at 1) go to the lower validation loss.
      int bestSoFar = state.bestEpoch();
      double bestLoss = state.history().stream().filter(r -> r.epoch() == bestSoFar)
          .mapToDouble(EpochRecord::validationLoss).findFirst().orElse(Double.POSITIVE_INFINITY);
      boolean better = state.bestEpoch() == 0 || val.auc() > state.bestAuc() + 1e-12
          || (Math.abs(val.auc() - state.bestAuc()) <= 1e-12 && val.loss() < bestLoss);
      model.saveCheckpoint(checkpoint(epoch));
      List<EpochRecord> history = new ArrayList<>(state.history());
      history.add(record);
      state = new RunState(epoch, better ? epoch : state.bestEpoch(), better ? val.auc() : state.bestAuc(), history, config);
      RunFiles.writeAtomically(statePath, RunFiles.JSON.writeValueAsString(state));
      Files.writeString(runDir.resolve(LOG), RunFiles.JSON.writer().without(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(record) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      pruneCheckpoints(state);
      stale = better ? 0 : stale + 1;
      out.printf("epoch %d: train loss %.4f acc %.4f%s%s | validation (%s) loss %.4f acc %.4f AUC %.4f%s | %.0f s%n",
          epoch, record.trainLoss(), record.trainAccuracy(),
          record.lesionLoss() == null ? "" : String.format(" lesion %.4f", record.lesionLoss()),
          record.bagLoss() == null ? "" : String.format(" study %.4f", record.bagLoss()), validation.describe(),
          val.loss(), val.accuracy(), val.auc(), better ? " (best)" : "", seconds);
    }
    if (state.bestEpoch() > 0 && state.bestEpoch() != state.completedEpochs()) {
      out.printf("restoring the best epoch %d (validation AUC %.4f)%n", state.bestEpoch(), state.bestAuc());
    }
    if (state.bestEpoch() > 0) {
      model.restoreCheckpoint(checkpoint(state.bestEpoch()));
    }
    return state;
  }

  private void checkSets(Sets sets) throws IOException {
    LesionGuidance guidance = config.lesion();
    if (guidance.on() && (sets.lesions() == null || sets.lesions().size() == 0)) {
      throw new IOException("lesion guidance needs slices with non-empty masks");
    }
    if (guidance.on() && model.lesionGrid() == null) {
      throw new IllegalStateException("lesion guidance needs a model built with TrainConfig.trainingSpec()");
    }
    if (config.referenceMix() > 0 && (sets.rehearsal() == null || sets.rehearsal().size() == 0)) {
      throw new IOException("a reference mix of " + config.referenceMix() + " needs a reference (rehearsal) set");
    }
    if (sets.studyCount() > 0 && config.studies() == null) {
      throw new IllegalArgumentException("training on studies needs TrainConfig.studies() (how studies become bags)");
    }
    if (sets.studyCount() > 0 && model.spec().numClasses() != 2) {
      throw new IllegalArgumentException("training on study labels needs a two-class model, got "
          + model.spec().numClasses() + " classes");
    }
    if ((sets.slices() == null || sets.slices().size() == 0) && sets.studyCount() == 0) {
      throw new IOException("no training images and no training studies");
    }
  }

  /** A fresh run's state, or the interrupted run's after restoring its last checkpoint. */
  private RunState start(boolean resume) throws IOException {
    Path statePath = runDir.resolve(STATE);
    if (!Files.exists(statePath)) {
      return new RunState(0, 0, Double.NEGATIVE_INFINITY, List.of(), config);
    }
    if (!resume) {
      throw new IOException("run directory " + runDir + " already holds a run; pass --resume to continue it or choose another --run-dir");
    }
    RunState state = RunFiles.JSON.readValue(statePath.toFile(), RunState.class);
    if (!state.config().equals(config)) {
      throw new IOException("cannot resume: the run in " + runDir + " was started with a different configuration:\n  "
          + state.config() + "\nnow:\n  " + config);
    }
    model.restoreCheckpoint(checkpoint(state.completedEpochs()));
    out.printf("resumed after epoch %d (best validation AUC %.4f at epoch %d)%n", state.completedEpochs(),
        state.bestAuc(), state.bestEpoch());
    return state;
  }

  private int[] trainingLabels(Sets sets) {
    int[] slices = sets.slices() == null ? new int[0] : sets.slices().labels();
    int[] studies = sets.studies() == null ? new int[0]
        : java.util.stream.IntStream.range(0, sets.studyCount()).map(sets.studies()::label).toArray();
    int[] all = java.util.Arrays.copyOf(slices, slices.length + studies.length);
    System.arraycopy(studies, 0, all, slices.length, studies.length);
    return all;
  }

  /** Each training study's slices for this epoch, chosen on the current model's scores of all its slices. */
  private StudyLearning.Selection[] selectSlices(StudyStore studies, int epoch) {
    if (studies == null || studies.size() == 0) {
      return new StudyLearning.Selection[0];
    }
    StudyScores scores = StudyScores.of(model, studies);
    Random random = new Random(config.seed() * 15_485_863L + epoch);
    StudyLearning.Selection[] out = new StudyLearning.Selection[studies.size()];
    for (int s = 0; s < studies.size(); s++) {
      out[s] = config.studies().select(scores.sliceLogits()[s], random);
    }
    return out;
  }

  /** Assembles and runs one step; returns the number of images it held. */
  private int step(Sets sets, EpochPlan plan, int epoch, List<Integer> entries, double lr, float[] classWeights,
      EpochTally tally) throws IOException {
    int n = entries.stream().mapToInt(plan::size).sum();
    int pixels = model.spec().inputShape().pixels();
    int height = model.spec().inputHeight();
    int width = model.spec().inputWidth();
    int positive = model.spec().numClasses() - 1;
    int copies = config.augmentation().copies();
    int[] grid = config.lesion().on() ? model.lesionGrid() : null;
    float[] batch = new float[n * pixels];
    int[] labels = new int[n];
    float[] exampleWeights = new float[n];
    boolean[] classified = new boolean[n];
    LesionBatch lesionBatch = grid == null ? null
        : new LesionBatch(config.lesion(), grid, model.hasLesionHead(), height, width, n);
    List<int[]> bagRows = new ArrayList<>(); // {first image, study, entry}
    float[] augmented = new float[pixels];
    int i = 0;
    for (int entry : entries) {
      if (entry >= plan.bagEnd()) {
        labels[i] = positive;
        long seed = config.seed() * 0x2545F4914F6CDD1DL + epoch * 1_000_003L + entry;
        lesionBatch.masked(i, sets.lesions(), plan.lesionPick()[entry - plan.bagEnd()], config.augmentation(), seed,
            batch, i * pixels);
        i++;
      } else if (entry >= plan.rehearsedEnd()) {
        int study = (entry - plan.rehearsedEnd()) % plan.selections().length;
        boolean original = entry - plan.rehearsedEnd() < plan.selections().length;
        StudyLearning.Selection selection = plan.selections()[study];
        bagRows.add(new int[] {i, study, entry});
        for (int k = 0; k < selection.size(); k++, i++) {
          float[] slice = sets.studies().slice(study, selection.slices()[k]);
          labels[i] = sets.studies().label(study);
          if (original || copies == 1) {
            System.arraycopy(slice, 0, batch, i * pixels, pixels);
          } else {
            long seed = config.seed() * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + entry * 64L + k;
            config.augmentation().apply(slice, augmented, height, width, seed);
            System.arraycopy(augmented, 0, batch, i * pixels, pixels);
          }
          if (lesionBatch != null) {
            lesionBatch.classified(i, batch, i * pixels, labels[i] != positive);
          }
        }
      } else {
        ImageStore from = entry < plan.ownEnd() ? sets.slices() : sets.rehearsal();
        int image = entry < plan.ownEnd() ? plan.ownImage()[entry] : plan.rehearsalPick()[entry - plan.ownEnd()];
        // The first slices.size() entries are the originals; every later one (other copies,
        // source repeats, rehearsed images) is augmented.
        boolean original = entry < (sets.slices() == null ? 0 : sets.slices().size());
        labels[i] = from.label(image);
        if (original || copies == 1) {
          System.arraycopy(from.pixels(image), 0, batch, i * pixels, pixels);
        } else {
          long seed = config.seed() * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + entry;
          config.augmentation().apply(from.pixels(image), augmented, height, width, seed);
          System.arraycopy(augmented, 0, batch, i * pixels, pixels);
        }
        if (lesionBatch != null) {
          lesionBatch.classified(i, batch, i * pixels, labels[i] != positive);
        }
        exampleWeights[i] = 1f;
        classified[i] = true;
        i++;
      }
    }
    BagFeed bags = null;
    if (!bagRows.isEmpty()) {
      float[] pooling = new float[bagRows.size() * n];
      int[] bagLabels = new int[bagRows.size()];
      for (int b = 0; b < bagRows.size(); b++) {
        int[] row = bagRows.get(b);
        StudyLearning.Selection selection = plan.selections()[row[1]];
        for (int k = 0; k < selection.size(); k++) {
          pooling[b * n + row[0] + k] = selection.weights()[k];
        }
        bagLabels[b] = sets.studies().label(row[1]) == positive ? 1 : 0;
      }
      bags = new BagFeed(pooling, bagLabels, config.studies().graphSharpness());
    }
    LesionFeed feed = lesionBatch == null ? null : lesionBatch.feed();
    StepResult result = model.trainStep(batch, n, labels, (float) lr, classWeights, feed, bags, exampleWeights);
    if (!Float.isFinite(result.loss())) {
      throw new IOException("training diverged: loss is " + result.loss() + " at epoch " + epoch
          + " (lower the learning rate); the last good checkpoint is epoch " + (epoch - 1));
    }
    // The lesion term counts where it can move: with a lesion head, or when the batch holds guided slices.
    boolean lesionCounted = grid != null && (model.hasLesionHead() || entries.stream().anyMatch(e -> e >= plan.bagEnd()));
    tally.add(result, lesionCounted, labels, classified, bagRows, bags, plan, config.studies());
    return n;
  }

  static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  static float[] balancedWeights(int[] labels, int classes) {
    int[] counts = new int[classes];
    for (int l : labels) {
      counts[l]++;
    }
    float[] w = new float[classes];
    for (int c = 0; c < classes; c++) {
      w[c] = counts[c] == 0 ? 0 : (float) labels.length / (classes * counts[c]);
    }
    return w;
  }

  private Path checkpoint(int epoch) {
    return runDir.resolve(CHECKPOINTS).resolve(String.format("epoch-%03d", epoch)).resolve("ckpt");
  }

  /** Keeps the newest and the best epoch's checkpoints. */
  private void pruneCheckpoints(RunState state) throws IOException {
    try (Stream<Path> dirs = Files.list(runDir.resolve(CHECKPOINTS))) {
      for (Path d : dirs.toList()) {
        String name = d.getFileName().toString();
        if (!name.equals(checkpoint(state.completedEpochs()).getParent().getFileName().toString())
            && !name.equals(checkpoint(state.bestEpoch()).getParent().getFileName().toString())) {
          try (Stream<Path> walk = Files.walk(d)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
              Files.deleteIfExists(p);
            }
          }
        }
      }
    }
  }
}
