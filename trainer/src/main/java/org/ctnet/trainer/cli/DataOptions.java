package org.ctnet.trainer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Split;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where the images are and how they are split into train, validation and test groups. */
public final class DataOptions {
  @Mixin DataSource source;

  @Option(names = "--validation-fraction", defaultValue = "0.15", description = "Share of groups for validation (default ${DEFAULT-VALUE}).")
  double validationFraction;

  @Option(names = "--test-fraction", defaultValue = "0.15", description = "Share of groups for testing (default ${DEFAULT-VALUE}).")
  double testFraction;

  @Option(names = "--split-seed", defaultValue = "42", description = "Seed of the split (default ${DEFAULT-VALUE}).")
  long splitSeed;

  Dataset read() throws IOException {
    return source.read();
  }

  Split split(Dataset dataset, PrintWriter out) {
    if (!dataset.hasGroups()) {
      out.println("warning: no group column; splitting by image. Slices of one scan may land on both sides.");
    }
    return Split.of(dataset, validationFraction, testFraction, splitSeed);
  }

  ImageStore load(Dataset dataset, Preprocessing preprocessing, String what, PrintWriter out) throws IOException {
    return source.load(dataset, preprocessing, what, out);
  }
}
