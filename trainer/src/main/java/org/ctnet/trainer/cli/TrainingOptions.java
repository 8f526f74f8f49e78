package org.ctnet.trainer.cli;

import java.util.List;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.trainer.data.Augmentation;
import org.ctnet.trainer.train.TrainConfig;
import picocli.CommandLine.Option;

/** How to train (shared by train and fine-tune). */
public final class TrainingOptions {
  @Option(names = "--epochs", defaultValue = "20", description = "Maximum epochs (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--batch-size", defaultValue = "16", description = "Images per step (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--lr", defaultValue = "0.001", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--schedule", defaultValue = "cosine", description = "constant, cosine or step (default ${DEFAULT-VALUE}).")
  String schedule;

  @Option(names = "--warmup-epochs", defaultValue = "1", description = "Linear warm-up (default ${DEFAULT-VALUE}).")
  double warmupEpochs;

  @Option(names = "--optimizer", defaultValue = "adam", description = "adam, sgd (momentum 0.9) or rmsprop (default ${DEFAULT-VALUE}).")
  String optimizer;

  @Option(names = "--patience", defaultValue = "6", description = "Stop after this many epochs without a better validation AUC; 0 = never (default ${DEFAULT-VALUE}).")
  int patience;

  @Option(names = "--no-class-balance", description = "Do not weight the loss by inverse class frequency.")
  boolean noBalance;

  @Option(names = "--augment-copies", defaultValue = "4", description = "Times each training image is seen per epoch, copy 0 unaugmented (the paper's ×4; default ${DEFAULT-VALUE}).")
  int copies;

  @Option(names = "--no-augment", description = "Train on the original images only.")
  boolean noAugment;

  @Option(names = "--seed", defaultValue = "1", description = "Shuffling and augmentation seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--bf16", description = "oneDNN bfloat16 mixed precision (faster on CPUs with AVX512_BF16).")
  boolean bf16;

  @Option(names = "--threads", defaultValue = "0", description = "TensorFlow intra-op threads; 0 = all cores.")
  int threads;

  TrainConfig config(List<String> frozenScopes) {
    Augmentation augmentation = noAugment ? Augmentation.NONE
        : new Augmentation(copies, Augmentation.PAPER.flip(), Augmentation.PAPER.maxRotationDegrees(),
            Augmentation.PAPER.maxZoom(), Augmentation.PAPER.maxBrightness(), Augmentation.PAPER.maxContrast());
    return new TrainConfig(epochs, batchSize, learningRate, schedule, warmupEpochs, OptimizerKind.parse(optimizer),
        patience, !noBalance, augmentation, frozenScopes, seed);
  }

  SessionOptions sessionOptions() {
    return new SessionOptions(threads, 0, bf16);
  }
}
