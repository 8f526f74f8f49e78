package org.ctnet.trainer.cli;

import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where and how a trained model is published. */
public final class ExportOptions {
  @Option(names = "--models", defaultValue = "saved_models", paramLabel = "DIR",
      description = "Model base path, TF Serving layout <DIR>/<name>/<version>/ (default ${DEFAULT-VALUE}).")
  Path models;

  @Option(names = "--name", defaultValue = "ctnet", description = "Model name (default ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--model-version", defaultValue = "0", description = "Version to write; 0 = next free (default).")
  long version;

  @Mixin EvaluationOptions evaluation;

  @Option(names = "--no-export", description = "Train and report, but do not export.")
  boolean noExport;
}
