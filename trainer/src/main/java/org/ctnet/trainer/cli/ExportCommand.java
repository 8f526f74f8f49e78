package org.ctnet.trainer.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Rebuilds an exported model's graph with this version of the code and exports it again. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Re-export a model with the current graph (e.g. to gain new explain methods), weights unchanged.")
public final class ExportCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Option(names = "--to", required = true, paramLabel = "DIR", description = "Model folder to write into (a new version).")
  Path to;

  @Option(names = "--model-version", defaultValue = "0", description = "Version to write; 0 = next free (default).")
  long version;

  @Option(names = "--optimizer", defaultValue = "adam", description = "Optimizer of the exported train_step signature (default ${DEFAULT-VALUE}).")
  String optimizer;

  @Option(names = "--cam-layer", paramLabel = "LAYER",
      description = "Feature layer the CAM methods explain (a block name such as features, stage2/unit1, stage1/attention0).")
  String camLayer;

  @Override
  public Integer call() throws Exception {
    Path from = model.versionDir();
    long v = version > 0 ? version : ModelExport.latestVersion(to).orElse(0) + 1;
    try (ModelSession session = ModelSession.rebuild(from, TrainingSpec.defaults(OptimizerKind.parse(optimizer)),
        SessionOptions.DEFAULT, camLayer)) {
      Path published = session.export(to, v, session.assets(), staging -> org.ctnet.trainer.workflow.AdaptedExport.copyExtraAssets(from, staging));
      spec.commandLine().getOut().println("exported " + published + " (weights of " + from + ")");
      return ExitCode.OK;
    }
  }
}
