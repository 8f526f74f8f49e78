package org.ctnet.trainer.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where and how a trained model is published. */
public final class ExportOptions {
  @Option(names = "--models", defaultValue = "saved_models", paramLabel = "DIR",
      description = "Model base path, TF Serving layout <DIR>/<name>/<version>/ (default ${DEFAULT-VALUE}).")
  Path models;

  @Option(names = "--name", defaultValue = "ctnet", description = "Model name (default ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--version", defaultValue = "0", description = "Version to write; 0 = next free (default).")
  long version;

  @Option(names = "--target-sensitivity", defaultValue = "0.95",
      description = "Lock the decision threshold where validation sensitivity reaches this (default ${DEFAULT-VALUE}).")
  double targetSensitivity;

  @Option(names = "--bootstrap", defaultValue = "1000", description = "Bootstrap replicates for the intervals (default ${DEFAULT-VALUE}).")
  int bootstrap;

  @Option(names = "--no-export", description = "Train and report, but do not export.")
  boolean noExport;
}
