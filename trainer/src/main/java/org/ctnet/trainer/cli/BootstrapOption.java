package org.ctnet.trainer.cli;

import picocli.CommandLine.Option;

/** How many bootstrap replicates draw the 95% intervals: one option, one default, for every command that reports them. */
public final class BootstrapOption {
  @Option(names = "--bootstrap", defaultValue = "1000", paramLabel = "N",
      description = "Bootstrap replicates for the 95%% intervals, resampling whole groups (patients, scans) "
          + "(default ${DEFAULT-VALUE}).")
  int replicates;
}
