package org.ctnet.trainer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.train.TrainingSpec;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.DatasetReader;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Split;
import org.ctnet.trainer.train.TrainConfig;
import picocli.CommandLine.Option;

/** What fine-tuning changes on top of {@link TrainingOptions} (shared by fine-tune and transfer-study). */
public final class FineTuneOptions {
  @Option(names = "--freeze", split = ",", paramLabel = "SCOPES",
      description = "Variable scopes kept fixed, batch norm included, e.g. stem,stage1 (default none).")
  List<String> freeze;

  @Option(names = "--batch-norm", paramLabel = "MODE",
      description = "Batch norm of the trained scopes: frozen (stored statistics, the default) or train (batch statistics).")
  String batchNorm;

  @Option(names = "--l2sp", paramLabel = "ALPHA",
      description = "L2-SP: pull every trained kernel toward its starting value with this coefficient (default 0.1; 0 = off).")
  Double l2sp;

  @Option(names = "--reference", paramLabel = "PATH",
      description = "The source(s) the model was trained on (e.g. ../shared/data/sarscov2-ct; repeat for several). Split "
          + "by group like train does (15%%/15%%, --reference-split-seed): the training part is rehearsed, the test part "
          + "is scored before and after to show forgetting.")
  List<Path> reference;

  @Option(names = "--reference-split-seed", defaultValue = "42",
      description = "Seed of the reference split (the base model's --split-seed; default ${DEFAULT-VALUE}).")
  long referenceSplitSeed;

  @Option(names = "--reference-mix", paramLabel = "SHARE",
      description = "Share of each epoch's images rehearsed from the reference's training part (default 0.5 with "
          + "--reference, else 0).")
  Double referenceMix;

  /** The fine-tuning recipe with the options given. */
  TrainConfig config(TrainingOptions training) {
    TrainConfig base = training.config(TrainingOptions.Recipes.FINE_TUNE);
    List<String> frozen = freeze == null || (freeze.size() == 1 && freeze.get(0).equalsIgnoreCase("none"))
        ? List.of() : freeze;
    TrainingSpec.BatchNormMode mode = batchNorm == null ? base.batchNorm()
        : switch (batchNorm.toLowerCase(Locale.ROOT)) {
          case "frozen" -> TrainingSpec.BatchNormMode.FROZEN;
          case "train" -> TrainingSpec.BatchNormMode.TRAIN;
          default -> throw new IllegalArgumentException("--batch-norm must be frozen or train, got '" + batchNorm + "'");
        };
    double mix = referenceMix != null ? referenceMix : hasReference() ? base.referenceMix() : 0;
    if (mix > 0 && !hasReference()) {
      throw new IllegalArgumentException("--reference-mix needs --reference (the images to rehearse)");
    }
    return new TrainConfig(base.epochs(), base.batchSize(), base.learningRate(), base.schedule(), base.warmupEpochs(),
        base.optimizer(), base.patience(), base.balanceClasses(), base.augmentation(), frozen, base.seed(),
        base.labelSmoothing(), mode, l2sp != null ? l2sp : base.l2sp(), mix, base.balanceSources(), base.lesion());
  }

  boolean hasReference() {
    return reference != null && !reference.isEmpty();
  }

  String referenceNames() {
    return hasReference() ? String.join(" + ", reference.stream().map(Path::toString).toList()) : "none";
  }

  /** The reference source's training part (rehearsal) and test part (forgetting check); null without --reference. */
  record Reference(ImageStore rehearsal, ImageStore check) {}

  Reference loadReference(ModelAssets assets, DataSource loader, PrintWriter out) throws IOException {
    if (reference == null || reference.isEmpty()) {
      return new Reference(null, null);
    }
    Dataset ref = DatasetReader.readAll(reference, null, assets.labels());
    Split split = Split.of(ref, 0.15, 0.15, referenceSplitSeed);
    return new Reference(loader.load(split.train(), assets.preprocessing(), "reference (rehearsal)", out),
        loader.load(split.test(), assets.preprocessing(), "reference (held-out check)", out));
  }
}
