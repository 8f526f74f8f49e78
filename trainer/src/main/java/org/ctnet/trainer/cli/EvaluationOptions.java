package org.ctnet.trainer.cli;

import picocli.CommandLine.Option;

/** How a trained model's decision threshold is locked and how wide its intervals are drawn. */
public final class EvaluationOptions {
  @Option(names = "--target-sensitivity", defaultValue = "0.95",
      description = "Lock the decision threshold where validation sensitivity reaches this (default ${DEFAULT-VALUE}).")
  double targetSensitivity;

  @Option(names = "--bootstrap", defaultValue = "1000",
      description = "Bootstrap replicates over groups for the intervals (default ${DEFAULT-VALUE}).")
  int bootstrap;
}
