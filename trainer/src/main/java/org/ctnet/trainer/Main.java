package org.ctnet.trainer;

import org.ctnet.trainer.cli.AdaptBatchNormCommand;
import org.ctnet.trainer.cli.CompareCommand;
import org.ctnet.trainer.cli.ConfoundsCommand;
import org.ctnet.trainer.cli.CrossValidateCommand;
import org.ctnet.trainer.cli.EvaluateCommand;
import org.ctnet.trainer.cli.ExplainCommand;
import org.ctnet.trainer.cli.ExplainEvalCommand;
import org.ctnet.trainer.cli.ExportCommand;
import org.ctnet.trainer.cli.OcclusionCommand;
import org.ctnet.trainer.cli.PacsCommand;
import org.ctnet.trainer.cli.OodFitCommand;
import org.ctnet.trainer.cli.FineTuneCommand;
import org.ctnet.trainer.cli.MergeCommand;
import org.ctnet.trainer.cli.PredictCommand;
import org.ctnet.trainer.cli.InputCheckCommand;
import org.ctnet.trainer.cli.SegmentEvalCommand;
import org.ctnet.trainer.cli.SplitCommand;
import org.ctnet.trainer.cli.TrainCommand;
import org.ctnet.trainer.cli.TransferStudyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ctnet} command line. Exit codes: 0 success, 1 failure, 2 bad usage. */
@Command(
    name = "ctnet",
    mixinStandardHelpOptions = true,
    versionProvider = Main.BuildVersion.class,
    description = "Train, evaluate, fine-tune and run the CT-Net residual attention network on CT slices.",
    subcommands = {TrainCommand.class, CrossValidateCommand.class, EvaluateCommand.class, ConfoundsCommand.class, CompareCommand.class, FineTuneCommand.class, TransferStudyCommand.class, AdaptBatchNormCommand.class, PredictCommand.class, PacsCommand.class, OodFitCommand.class, MergeCommand.class,
        SplitCommand.class, ExplainCommand.class, OcclusionCommand.class, ExplainEvalCommand.class, SegmentEvalCommand.class, InputCheckCommand.class, ExportCommand.class,
        CommandLine.HelpCommand.class, picocli.AutoComplete.GenerateCompletion.class})
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The version Maven wrote into the jar's manifest ("development build" when run from classes). */
  static final class BuildVersion implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"ctnet " + (v == null ? "(development build, not from a packaged jar)" : v)};
    }
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  /** Builds the command line; tests run it in-process. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(org.ctnet.trainer.train.Progress.STDOUT);
    cli.setExecutionExceptionHandler((e, cmd, parseResult) -> {
      cmd.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      if (System.getenv("CTNET_DEBUG") != null) {
        e.printStackTrace(cmd.getErr());
      }
      return org.ctnet.trainer.cli.ExitCode.FAILED;
    });
    return cli;
  }

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    // ImageIO buffers in temp files by default: in memory, so the CLI image runs on a read-only root.
    javax.imageio.ImageIO.setUseCache(false);
    int code = commandLine().execute(args);
    org.ctnet.trainer.train.Progress.STDOUT.flush();
    System.exit(code);
  }
}
