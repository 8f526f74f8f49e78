package org.ctnet.trainer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.BatchNormAdaptation;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * AdaBN from the command line: a new version of a model whose batch-norm statistics are those of a
 * hospital's own images, with no labels. Weights, calibration and threshold are carried over as
 * they are, and the command says that the threshold was locked on the old source.
 */
@Command(name = "adapt-batch-norm", mixinStandardHelpOptions = true,
    description = {"Re-estimate a model's batch-norm statistics on a new source's images (AdaBN; no labels needed) "
        + "and export the result as a new version. Weights are unchanged.",
        "The temperature and the decision threshold were fitted on the old source: re-lock them on labelled "
            + "validation images of the new source (fine-tune) before relying on the labels."})
public final class AdaptBatchNormCommand implements Callable<Integer> {
  /** Written beside the other assets: what the statistics were re-estimated on. */
  public static final String ADAPTATION_FILE = "batch_norm_adaptation.json";

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Option(names = "--input", required = true, paramLabel = "PATH",
      description = "The new source's images: a folder (searched recursively), a manifest CSV or a file; labels are not read.")
  Path input;

  @Option(names = "--to", required = true, paramLabel = "DIR", description = "Model folder to write the adapted version into.")
  Path to;

  @Option(names = "--model-version", defaultValue = "0", description = "Version to write; 0 = next free (default).")
  long version;

  @Option(names = "--batch-size", defaultValue = "16",
      description = "Images per batch (each layer normalises a batch with its own statistics; default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--seed", defaultValue = "7", description = "Order of the images in batches (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (batchSize < 2) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 2");
    }
    Path from = model.versionDir();
    List<Path> files = new ArrayList<>(Inputs.list(input));
    Collections.shuffle(files, new Random(seed));
    try (ModelSession session = ModelSession.rebuild(from, TrainingSpec.defaults(OptimizerKind.ADAM), SessionOptions.DEFAULT)) {
      ImagePreprocessor pre = new ImagePreprocessor(session.assets().preprocessing(), 64L * 1024 * 1024);
      List<float[]> images = new ArrayList<>();
      int unreadable = 0;
      for (Path f : files) {
        try {
          images.add(pre.toModelInput(Files.readAllBytes(f)));
        } catch (IOException e) {
          unreadable++;
          spec.commandLine().getErr().println("warning: skipped unreadable image " + f + ": " + e.getMessage());
        }
      }
      if (images.size() < 2) {
        throw new IOException("need at least 2 readable images at " + input + ", found " + images.size());
      }
      List<float[]> batches = batches(images, batchSize);
      BatchNormAdaptation.Summary summary = BatchNormAdaptation.reestimate(session, batches);
      long v = version > 0 ? version : ModelExport.latestVersion(to).orElse(0) + 1;
      Adaptation note = new Adaptation(from.toAbsolutePath().toString(), input.toAbsolutePath().toString(),
          summary.images(), summary.layers(), summary.meanShift(), summary.varianceRatio());
      Path published = session.export(to, v, session.assets(), staging -> {
        ExportCommand.copyExtraAssets(from, staging);
        new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
            .writeValue(staging.resolve("assets.extra").resolve(ADAPTATION_FILE).toFile(), note);
      });
      out.printf("re-estimated %d batch norms on %d images (%d unreadable): mean |shift of the means| %.4f, "
          + "variances ×%.3f (geometric mean)%n", summary.layers(), summary.images(), unreadable, summary.meanShift(),
          summary.varianceRatio());
      out.printf("exported %s; its temperature and threshold (%.4f) were fitted on the old source: re-lock them on "
          + "labelled images of this source before trusting the labels%n", published,
          session.assets().decision().threshold());
      return ExitCode.OK;
    }
  }

  /** What {@link #ADAPTATION_FILE} records: where the statistics came from and how far they moved. */
  public record Adaptation(String adaptedFrom, String source, int images, int batchNormLayers,
      double meanAbsoluteMeanShift, double geometricMeanVarianceRatio) {}

  /** Consecutive batches; a last batch of one image joins the one before (one image has no batch statistics). */
  static List<float[]> batches(List<float[]> images, int batchSize) {
    List<float[]> batches = new ArrayList<>();
    int pixels = images.get(0).length;
    for (int start = 0; start < images.size(); ) {
      int n = Math.min(batchSize, images.size() - start);
      if (images.size() - start - n == 1) {
        n++;
      }
      float[] batch = new float[n * pixels];
      for (int i = 0; i < n; i++) {
        System.arraycopy(images.get(start + i), 0, batch, i * pixels, pixels);
      }
      batches.add(batch);
      start += n;
    }
    return batches;
  }
}
