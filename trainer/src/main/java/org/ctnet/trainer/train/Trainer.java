package org.ctnet.trainer.train;

import org.ctnet.graph.runtime.Predictor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.LesionStore;
import org.ctnet.trainer.eval.Metrics;

/**
 * The training loop: shuffled, augmented batches; a learning rate fed per step; validation AUC
 * after every epoch; a checkpoint and an atomically written {@code state.json} after every epoch;
 * early stopping; and at the end the best epoch's weights restored into the model.
 *
 * <p>Everything random is derived from (seed, epoch, position), and the graph's own randomness
 * from its step counter, so a run killed at any point and resumed repeats the same batches.
 */
public final class Trainer {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
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
    LesionGuidance guidance = config.lesion();
    if (guidance.on() && (lesions == null || lesions.size() == 0)) {
      throw new IOException("lesion guidance needs slices with non-empty masks");
    }
    if (guidance.on() && model.lesionGrid() == null) {
      throw new IllegalStateException("lesion guidance needs a model built with TrainConfig.trainingSpec()");
    }
    if (config.referenceMix() > 0 && (rehearsal == null || rehearsal.size() == 0)) {
      throw new IOException("a reference mix of " + config.referenceMix() + " needs a reference (rehearsal) set");
    }
    Files.createDirectories(runDir.resolve(CHECKPOINTS));
    RunState state = new RunState(0, 0, Double.NEGATIVE_INFINITY, List.of(), config);
    Path statePath = runDir.resolve(STATE);
    if (Files.exists(statePath)) {
      if (!resume) {
        throw new IOException("run directory " + runDir + " already holds a run; pass --resume to continue it or choose another --run-dir");
      }
      state = JSON.readValue(statePath.toFile(), RunState.class);
      if (!state.config().equals(config)) {
        throw new IOException("cannot resume: the run in " + runDir + " was started with a different configuration:\n  "
            + state.config() + "\nnow:\n  " + config);
      }
      model.restoreCheckpoint(checkpoint(state.completedEpochs()));
      out.printf("resumed after epoch %d (best validation AUC %.4f at epoch %d)%n", state.completedEpochs(),
          state.bestAuc(), state.bestEpoch());
    }
    if (train.size() == 0) {
      throw new IOException("no training images");
    }
    float[] classWeights = config.balanceClasses() ? balancedWeights(train.labels(), model.spec().numClasses()) : null;
    int pixels = model.spec().inputShape().pixels();
    int stale = state.bestEpoch() == 0 ? 0 : state.completedEpochs() - state.bestEpoch();
    for (int epoch = state.completedEpochs() + 1; epoch <= config.epochs(); epoch++) {
      if (config.patience() > 0 && stale >= config.patience()) {
        out.printf("early stop: no better validation AUC for %d epochs%n", stale);
        break;
      }
      long started = System.nanoTime();
      int copies = config.augmentation().copies();
      int[] repeats = config.balanceSources() ? sourceRepeats(train) : null;
      int[] ownImage = ownEntries(train.size(), copies, repeats);
      int own = ownImage.length;
      int rehearsed = config.referenceMix() > 0
          ? (int) Math.round(own * config.referenceMix() / (1 - config.referenceMix())) : 0;
      int guided = guidance.on() ? (int) Math.round((own + rehearsed) * guidance.mix() / (1 - guidance.mix())) : 0;
      int classified = own + rehearsed;
      int total = classified + guided;
      int[] order = permutation(total, new Random(config.seed() * 1_000_003L + epoch));
      Random picks = new Random(config.seed() * 7_919L + epoch);
      int[] rehearsalPick = new int[rehearsed];
      for (int i = 0; i < rehearsed; i++) {
        rehearsalPick[i] = picks.nextInt(rehearsal.size());
      }
      Random lesionPicks = new Random(config.seed() * 104_729L + epoch);
      int[] lesionPick = new int[guided];
      for (int i = 0; i < guided; i++) {
        lesionPick[i] = lesions.draw(lesionPicks);
      }
      int[] grid = guidance.on() ? model.lesionGrid() : null;
      boolean head = model.hasLesionHead();
      int height = model.spec().inputHeight();
      int width = model.spec().inputWidth();
      int positive = model.spec().numClasses() - 1;
      double lesionSum = 0;
      int lesionSteps = 0;
      double lossSum = 0;
      int correct = 0;
      int seen = 0;
      double lr = 0;
      float[] augmented = new float[pixels];
      try (Progress progress = new Progress(String.format("epoch %d/%d", epoch, config.epochs()), total, out)) {
        for (int start = 0; start < total; start += config.batchSize()) {
          int n = Math.min(config.batchSize(), total - start);
          float[] batch = new float[n * pixels];
          int[] labels = new int[n];
          LesionBatch lesionBatch = grid == null ? null : new LesionBatch(guidance, grid, head, height, width, n);
          boolean[] isGuided = new boolean[n];
          for (int i = 0; i < n; i++) {
            int entry = order[start + i];
            if (entry >= classified) {
              isGuided[i] = true;
              labels[i] = positive;
              long seed = config.seed() * 0x2545F4914F6CDD1DL + epoch * 1_000_003L + entry;
              lesionBatch.masked(i, lesions, lesionPick[entry - classified], config.augmentation(), seed, batch, i * pixels);
              continue;
            }
            ImageStore from = entry < own ? train : rehearsal;
            int image = entry < own ? ownImage[entry] : rehearsalPick[entry - own];
            // The first train.size() entries are the originals; every later one (other copies,
            // source repeats, rehearsed images) is augmented.
            int copy = entry < train.size() ? 0 : 1;
            labels[i] = from.label(image);
            if (copy == 0 || copies == 1) {
              System.arraycopy(from.pixels(image), 0, batch, i * pixels, pixels);
            } else {
              long seed = config.seed() * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + entry;
              config.augmentation().apply(from.pixels(image), augmented, model.spec().inputHeight(),
                  model.spec().inputWidth(), seed);
              System.arraycopy(augmented, 0, batch, i * pixels, pixels);
            }
            if (lesionBatch != null) {
              lesionBatch.classified(i, batch, i * pixels, labels[i] != positive);
            }
          }
          ModelSession.LesionFeed feed = lesionBatch == null ? null : lesionBatch.feed();
          lr = config.learningRateAt(epoch - 1 + (double) start / total);
          ModelSession.StepResult step = model.trainStep(batch, n, labels, (float) lr, classWeights, feed);
          if (!Float.isFinite(step.loss())) {
            throw new IOException("training diverged: loss is " + step.loss() + " at epoch " + epoch
                + " (lower the learning rate); the last good checkpoint is epoch " + (epoch - 1));
          }
          int classifiedHere = 0;
          for (int i = 0; i < n; i++) {
            if (isGuided[i]) {
              continue;
            }
            classifiedHere++;
            if (argmax(step.logits()[i]) == labels[i]) {
              correct++;
            }
          }
          lossSum += step.loss() * classifiedHere;
          seen += classifiedHere;
          if (grid != null && (head || classifiedHere < n)) {
            lesionSum += step.lesionLoss();
            lesionSteps++;
          }
          double seconds = (System.nanoTime() - started) / 1e9;
          String lesionStatus = lesionSteps == 0 ? "" : String.format(" lesion %.3f", lesionSum / lesionSteps);
          progress.step(n, String.format("loss %.4f acc %.3f%s lr %.2e %.1f img/s", lossSum / Math.max(1, seen),
              (double) correct / Math.max(1, seen), lesionStatus, lr, (start + n) / seconds));
        }
      }
      double trainSeconds = (System.nanoTime() - started) / 1e9;
      Evaluated val = evaluate(model, validation, 32);
      double seconds = (System.nanoTime() - started) / 1e9;
      EpochRecord record = new EpochRecord(epoch, lossSum / seen, (double) correct / seen, val.loss, val.accuracy,
          val.auc, lr, total / trainSeconds, seconds, lesionSteps == 0 ? null : lesionSum / lesionSteps);
      // Ties in AUC (common when it saturates at 1) go to the lower validation loss.
      int bestSoFar = state.bestEpoch();
      double bestLoss = state.history().stream().filter(r -> r.epoch() == bestSoFar)
          .mapToDouble(EpochRecord::validationLoss).findFirst().orElse(Double.POSITIVE_INFINITY);
      boolean better = state.bestEpoch() == 0 || val.auc > state.bestAuc() + 1e-12
          || (Math.abs(val.auc - state.bestAuc()) <= 1e-12 && val.loss < bestLoss);
      model.saveCheckpoint(checkpoint(epoch));
      List<EpochRecord> history = new ArrayList<>(state.history());
      history.add(record);
      state = new RunState(epoch, better ? epoch : state.bestEpoch(), better ? val.auc : state.bestAuc(), history, config);
      writeAtomically(statePath, JSON.writeValueAsString(state));
      Files.writeString(runDir.resolve(LOG), JSON.writer().without(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(record) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      pruneCheckpoints(state);
      stale = better ? 0 : stale + 1;
      out.printf("epoch %d: train loss %.4f acc %.4f%s | validation loss %.4f acc %.4f AUC %.4f%s | %.0f s%n", epoch,
          record.trainLoss(), record.trainAccuracy(),
          record.lesionLoss() == null ? "" : String.format(" lesion %.4f", record.lesionLoss()),
          val.loss, val.accuracy, val.auc, better ? " (best)" : "", seconds);
    }
    if (state.bestEpoch() > 0 && state.bestEpoch() != state.completedEpochs()) {
      out.printf("restoring the best epoch %d (validation AUC %.4f)%n", state.bestEpoch(), state.bestAuc());
    }
    if (state.bestEpoch() > 0) {
      model.restoreCheckpoint(checkpoint(state.bestEpoch()));
    }
    return state;
  }

  /** Scores on a held-out set. */
  public record Evaluated(double[] positiveScores, int[] labels, double loss, double accuracy, double auc,
      double[] margins) {}

  /** Positive-class probabilities for every image (inference mode), with loss, accuracy and AUC. */
  public static Evaluated evaluate(Predictor model, ImageStore data, int batchSize) {
    int n = data.size();
    int positive = model.spec().numClasses() - 1;
    double[] scores = new double[n];
    double[] margins = new double[n];
    int[] labels = data.labels();
    double loss = 0;
    int correct = 0;
    for (int start = 0; start < n; start += batchSize) {
      int m = Math.min(batchSize, n - start);
      int[] indices = java.util.stream.IntStream.range(start, start + m).toArray();
      var p = model.predict(data.batch(indices), m);
      for (int i = 0; i < m; i++) {
        float[] probs = p.probabilities()[i];
        scores[start + i] = probs[positive];
        float[] logits = p.logits()[i];
        double other = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < logits.length; c++) {
          if (c != positive) {
            other = Math.max(other, logits[c]);
          }
        }
        margins[start + i] = logits[positive] - other;
        loss -= Math.log(Math.max(probs[labels[start + i]], 1e-12));
        if (argmax(probs) == labels[start + i]) {
          correct++;
        }
      }
    }
    int[] binary = java.util.Arrays.stream(labels).map(l -> l == positive ? 1 : 0).toArray();
    double auc = n == 0 ? Double.NaN : Metrics.rocAuc(scores, binary);
    return new Evaluated(scores, binary, n == 0 ? Double.NaN : loss / n, n == 0 ? Double.NaN : (double) correct / n,
        Double.isNaN(auc) ? 0 : auc, margins);
  }

  /** Image of each of an epoch's own entries: every image once, then the other copies and source repeats. */
  public static int[] ownEntries(int images, int copies, int[] repeats) {
    List<Integer> entries = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      entries.add(i);
    }
    for (int i = 0; i < images; i++) {
      int times = copies * (repeats == null ? 1 : repeats[i]) - 1;
      for (int t = 0; t < times; t++) {
        entries.add(i);
      }
    }
    return entries.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Per image, how many times its source is repeated so that every source contributes at least
   * half as many images as the largest one (a small hospital is not drowned by a large one).
   */
  public static int[] sourceRepeats(ImageStore train) {
    java.util.Map<String, Integer> counts = new java.util.HashMap<>();
    for (int i = 0; i < train.size(); i++) {
      counts.merge(train.sample(i).source(), 1, Integer::sum);
    }
    int largest = counts.values().stream().mapToInt(Integer::intValue).max().orElse(1);
    int[] repeats = new int[train.size()];
    for (int i = 0; i < train.size(); i++) {
      repeats[i] = Math.max(1, largest / (2 * counts.get(train.sample(i).source())));
    }
    return repeats;
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

  static int[] permutation(int n, Random random) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
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

  /** Writes any value as indented JSON. */
  public static void writeJson(Path target, Object value) throws IOException {
    Files.createDirectories(target.toAbsolutePath().getParent());
    JSON.writeValue(target.toFile(), value);
  }

  static void writeAtomically(Path target, String content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      w.write(content);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
