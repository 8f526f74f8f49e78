package org.ctnet.trainer.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** How a trained model's decision threshold is locked and how wide its intervals are drawn. */
public final class EvaluationOptions {
  @Option(names = "--target-sensitivity", defaultValue = "0.95",
      description = "Lock the decision threshold where validation sensitivity reaches this (default ${DEFAULT-VALUE}).")
  double targetSensitivity;

  @Mixin BootstrapOption bootstrapOption = new BootstrapOption();

  int bootstrap() {
    return bootstrapOption.replicates;
  }
}
