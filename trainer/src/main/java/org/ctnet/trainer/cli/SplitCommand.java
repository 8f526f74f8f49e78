package org.ctnet.trainer.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Writes the split train would use, for inspection. */
@Command(name = "split", mixinStandardHelpOptions = true,
    description = "Write the group-stratified train/validation/test split (reproducible from --split-seed) as CSV.")
public final class SplitCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin DataOptions data;

  @Option(names = "--out", defaultValue = "split.csv", paramLabel = "FILE", description = "Output CSV (default ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    Dataset dataset = data.read();
    Split split = data.split(dataset, spec.commandLine().getOut());
    split.write(out);
    spec.commandLine().getOut().println(split.summary());
    spec.commandLine().getOut().println("wrote " + out);
    return ExitCode.OK;
  }
}
