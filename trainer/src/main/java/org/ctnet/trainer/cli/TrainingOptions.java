package org.ctnet.trainer.cli;

import java.util.List;
import java.util.Locale;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.ctnet.trainer.data.Augmentation;
import org.ctnet.trainer.train.TrainConfig;
import picocli.CommandLine.Option;

/**
 * How to train (shared by train, cross-validate, fine-tune and the transfer study). An option left
 * out takes the command's recipe: {@link Recipes#TRAIN} for training from scratch,
 * {@link Recipes#FINE_TUNE} for fine-tuning.
 */
public final class TrainingOptions {
  @Option(names = "--epochs", description = "Maximum epochs (train 20, fine-tune 12).")
  Integer epochs;

  @Option(names = "--batch-size", description = "Images per step (train 16, fine-tune 16).")
  Integer batchSize;

  @Option(names = "--lr", description = "Peak learning rate (train 0.001, fine-tune 0.0003).")
  Double learningRate;

  @Option(names = "--schedule", description = "constant, cosine or step (default cosine).")
  String schedule;

  @Option(names = "--warmup-epochs", description = "Linear warm-up (default 1).")
  Double warmupEpochs;

  @Option(names = "--optimizer", description = "adam, sgd (momentum 0.9) or rmsprop (default adam).")
  String optimizer;

  @Option(names = "--patience", description = "Stop after this many epochs without a better validation AUC; 0 = never (train 6, fine-tune 4).")
  Integer patience;

  @Option(names = "--no-class-balance", description = "Do not weight the loss by inverse class frequency.")
  boolean noBalance;

  @Option(names = "--augment", paramLabel = "KIND",
      description = "paper (flip, rotation, zoom, brightness, contrast), source-shift (paper plus random resized crops, "
          + "gamma, blur/sharpen, noise, JPEG, resolution loss, burnt-in overlays) or none (default source-shift).")
  String augment;

  @Option(names = "--augment-copies", description = "Times each training image is seen per epoch, copy 0 unaugmented (train 4, fine-tune 2).")
  Integer copies;

  @Option(names = "--no-augment", description = "Train on the original images only (same as --augment none).")
  boolean noAugment;

  @Option(names = "--label-smoothing", paramLabel = "EPS",
      description = "Label smoothing ε, against saturated probabilities (default 0.1).")
  Double labelSmoothing;

  @Option(names = "--balance-sources", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "With several --data sources, repeat the smaller ones' images so each source contributes at least "
          + "half as many images per epoch as the largest (default on; --no-balance-sources turns it off).")
  boolean balanceSources;

  @Option(names = "--seed", defaultValue = "1", description = "Shuffling and augmentation seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--bf16", description = "oneDNN bfloat16 mixed precision (faster on CPUs with AVX512_BF16).")
  boolean bf16;

  @Option(names = "--threads", defaultValue = "0", description = "TensorFlow intra-op threads; 0 = all cores.")
  int threads;

  /** The options given, the recipe's values for the rest. */
  TrainConfig config(TrainConfig recipe) {
    Augmentation base = augmentation(recipe.augmentation());
    Augmentation augmentation = base.copies() == 1 && copies == null ? base
        : base.withCopies(copies != null ? copies : recipe.augmentation().copies());
    if (noAugment || base == Augmentation.NONE) {
      augmentation = Augmentation.NONE;
    }
    return new TrainConfig(
        epochs != null ? epochs : recipe.epochs(),
        batchSize != null ? batchSize : recipe.batchSize(),
        learningRate != null ? learningRate : recipe.learningRate(),
        schedule != null ? schedule : recipe.schedule(),
        warmupEpochs != null ? warmupEpochs : recipe.warmupEpochs(),
        optimizer != null ? OptimizerKind.parse(optimizer) : recipe.optimizer(),
        patience != null ? patience : recipe.patience(),
        !noBalance && recipe.balanceClasses(),
        augmentation,
        recipe.frozenScopes(),
        seed,
        labelSmoothing != null ? labelSmoothing : recipe.labelSmoothing(),
        recipe.batchNorm(),
        recipe.l2sp(),
        recipe.referenceMix(),
        balanceSources && recipe.balanceSources(),
        recipe.lesion());
  }

  private Augmentation augmentation(Augmentation recipe) {
    if (augment == null) {
      return recipe;
    }
    return switch (augment.toLowerCase(Locale.ROOT)) {
      case "paper" -> Augmentation.PAPER;
      case "source-shift" -> Augmentation.SOURCE_SHIFT;
      case "none" -> Augmentation.NONE;
      default -> throw new IllegalArgumentException("--augment must be paper, source-shift or none, got '" + augment + "'");
    };
  }

  SessionOptions sessionOptions() {
    return new SessionOptions(threads, 0, bf16);
  }

  /** The recipes the commands start from. */
  static final class Recipes {
    private Recipes() {}

    /** Training from scratch: the shipped model's recipe. */
    static final TrainConfig TRAIN = new TrainConfig(20, 16, 0.001, "cosine", 1, OptimizerKind.ADAM, 6, true,
        Augmentation.SOURCE_SHIFT, List.of(), 1, 0.1, TrainingSpec.BatchNormMode.TRAIN, 0, 0, true, null);

    /**
     * Fine-tuning: what the transfer study supports (README, "Fine-tuning at a new hospital"):
     * nothing frozen but every batch norm on its stored statistics, a tenth of the training
     * learning rate, half of each epoch rehearsing the reference source when one is given, and an
     * L2-SP pull of 0.1 toward the starting weights.
     */
    static final TrainConfig FINE_TUNE = new TrainConfig(12, 16, 0.0003, "cosine", 1, OptimizerKind.ADAM, 4, true,
        Augmentation.SOURCE_SHIFT.withCopies(2), List.of(), 1, 0.1, TrainingSpec.BatchNormMode.FROZEN, 0.1, 0.5, true, null);
  }
}
