package org.ctnet.trainer.cli;

import org.ctnet.trainer.data.ImageLimits;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.trainer.workflow.AdaptedExport;
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
    ImagePreprocessor pre = new ImagePreprocessor(ModelAssets.read(from).preprocessing(), ImageLimits.MAX_PIXELS);
    List<float[]> images = new ArrayList<>();
    int unreadable = 0;
    for (Path f : Inputs.list(input)) {
      try {
        images.add(pre.toModelInput(Files.readAllBytes(f)));
      } catch (IOException e) {
        unreadable++;
        spec.commandLine().getErr().println("warning: skipped unreadable image " + f + ": " + e.getMessage());
      }
    }
    long v = version > 0 ? version : ModelExport.latestVersion(to).orElse(0) + 1;
    AdaptedExport.Result r = AdaptedExport.run(from, images, batchSize, seed, to, v, input.toAbsolutePath().toString());
    out.printf("re-estimated %d batch norms on %d images (%d unreadable): mean |shift of the means| %.4f, "
        + "variances ×%.3f (geometric mean)%n", r.adaptation().batchNormLayers(), r.adaptation().images(), unreadable,
        r.adaptation().meanAbsoluteMeanShift(), r.adaptation().geometricMeanVarianceRatio());
    out.printf("exported %s; its temperature and threshold (%.4f) were fitted on the old source: re-lock them on "
        + "labelled images of this source before trusting the labels%n", r.version(), r.threshold());
    return ExitCode.OK;
  }
}
