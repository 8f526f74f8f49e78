package org.ctnet.trainer.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.ctnet.trainer.data.MaskedSlices;
import org.ctnet.trainer.explain.ExplainEvalReport;
import org.ctnet.trainer.explain.ExplainEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;



/** Heatmaps against radiologist masks, per method, with baselines. */
@Command(name = "explain-eval", mixinStandardHelpOptions = true,
    description = "Score heatmaps against binary infection masks: pointing game, energy in mask, top-k IoU/Dice, pixel AUROC, ROAD-like faithfulness.")
public final class ExplainEvalCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Mixin MaskedDataOptions masked;

  @Option(names = "--out", defaultValue = "explain-eval", paramLabel = "DIR", description = "Report folder (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--top-fraction", defaultValue = "0.15", description = "Heatmap region for IoU/Dice: top share of pixels (default ${DEFAULT-VALUE}).")
  double topFraction;

  @Option(names = "--removal-fraction", defaultValue = "0.1", description = "Share of pixels removed in the faithfulness check (default ${DEFAULT-VALUE}).")
  double removalFraction;

  @Option(names = "--occlusion", description = "Also score sliding-window occlusion (window 1/7 of the image, stride half a window).")
  boolean occlusion;

  @Option(names = "--lungs",
      description = "Also score every gradient method restricted to the slice's lung field (<method>+lungs rows).")
  boolean lungs;

  @Option(names = "--fuse-layers", split = ",", paramLabel = "LAYER",
      description = "Also score LayerCAM fused over these layers (mean of each layer's normalised map at the input "
          + "resolution, Jiang et al. 2021), e.g. stage2/unit2,stage3/unit1 (rebuilds the model once per layer).")
  List<String> fuseLayers = new ArrayList<>();

  @Option(names = "--grid-images", defaultValue = "12", description = "Images shown in the HTML grid (default ${DEFAULT-VALUE}).")
  int gridImages;

  @Override
  public Integer call() throws Exception {
    List<MaskedSlices.Slice> rows = masked.slices();
    Files.createDirectories(out);
    PrintWriter say = spec.commandLine().getOut();
    ExplainEvalReport.Summary summary = ExplainEvaluation.run(
        new ExplainEvaluation.Source(model.versionDir(), masked.data, masked.groupsLabel(), masked.orientationFix), rows,
        new ExplainEvaluation.Settings(topFraction, removalFraction, occlusion, lungs, fuseLayers, gridImages), out, say);
    say.printf("%-26s", "method");
    for (String k : ExplainEvaluation.METRICS) {
      say.printf(" %12s", k.length() > 12 ? k.substring(0, 12) : k);
    }
    say.println();
    summary.methods().forEach((m, v) -> {
      say.printf("%-26s", m);
      v.values().forEach(x -> say.printf(" %12.3f", x));
      say.println();
    });
    say.println("wrote " + out.resolve(ExplainEvalReport.JSON_FILE) + " and " + out.resolve(ExplainEvalReport.HTML_FILE));
    return ExitCode.OK;
  }
}
