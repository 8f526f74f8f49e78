package org.ctnet.trainer.cli;

import org.ctnet.trainer.train.RunFiles;
import org.ctnet.trainer.data.ImageLimits;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.trainer.data.MaskedSlices;
import org.ctnet.trainer.explain.SegmentationEvaluation;
import org.ctnet.trainer.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A lesion head's maps against infection masks (Dice, IoU, AUROC, pointing game, share error, faithfulness). */
@Command(name = "segment-eval", mixinStandardHelpOptions = true,
    description = "Score a lesion head's maps against binary infection masks, with patient-bootstrap 95%% intervals: "
        + "Dice (pooled and per slice) and IoU at 0.5, pixel AUROC, pointing game, energy in mask, infected-share error, "
        + "and the COVID log-odds lost when the predicted lesion is blurred minus when a random region of the same "
        + "shape is.")
public final class SegmentEvalCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Mixin MaskedDataOptions masked;

  @Option(names = "--out", defaultValue = "segment-eval", paramLabel = "DIR", description = "Report folder (default ${DEFAULT-VALUE}).")
  Path out;

  @Mixin BootstrapOption bootstrapOption = new BootstrapOption();

  @Option(names = "--seed", defaultValue = "7", description = "Seed of the bootstrap and the random regions (default ${DEFAULT-VALUE}).")
  long seed;

  /** The report's JSON file. */
  public static final String JSON_FILE = "segment-metrics.json";
  /** Per-slice figures. */
  public static final String CSV_FILE = "segment-slices.csv";

  @Override
  public Integer call() throws Exception {
    if (bootstrapOption.replicates < 1) {
      throw new IllegalArgumentException("--bootstrap must be >= 1, got " + bootstrapOption.replicates);
    }
    List<MaskedSlices.Slice> slices = masked.slices();
    PrintWriter stdout = spec.commandLine().getOut();
    try (LoadedModel loaded = LoadedModel.load(model.versionDir(), SessionOptions.DEFAULT);
        Progress progress = new Progress("segment-eval", slices.size(), stdout)) {
      ImagePreprocessor pre = new ImagePreprocessor(loaded.assets().preprocessing(), ImageLimits.MAX_PIXELS);
      int[] done = {0};
      List<SegmentationEvaluation.SliceResult> results = SegmentationEvaluation.score(loaded, slices, pre, seed, i -> {
        progress.step(i - done[0], "");
        done[0] = i;
      });
      Map<String, SegmentationEvaluation.Figure> figures = SegmentationEvaluation.summarise(results, bootstrapOption.replicates, seed);
      write(results, figures);
      boolean perPatient = results.stream().anyMatch(r -> !r.group().isEmpty());
      stdout.printf("%d slices, %s; 95%% intervals by bootstrap over %s%n", results.size(), masked.data,
          perPatient ? "patients" : "slices (the manifest names no patients)");
      figures.values().forEach(f -> stdout.printf(Locale.ROOT, "%-34s %.3f [%.3f, %.3f] (%d slices)%n", f.metric(),
          f.value(), f.lower(), f.upper(), f.slices()));
      stdout.println("wrote " + out.resolve(JSON_FILE) + " and " + out.resolve(CSV_FILE));
      return ExitCode.OK;
    }
  }

  private void write(List<SegmentationEvaluation.SliceResult> results, Map<String, SegmentationEvaluation.Figure> figures)
      throws IOException {
    Files.createDirectories(out);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", model.versionDir().toString());
    json.put("data", masked.data.toString());
    json.put("groups", masked.groupsLabel());
    json.put("orientation_fix_applied", masked.orientationFix);
    json.put("slices", results.size());
    json.put("bootstrap_replicates", bootstrapOption.replicates);
    json.put("metrics", figures);
    RunFiles.writeJson(out.resolve(JSON_FILE), json);
    List<String> lines = new ArrayList<>();
    lines.add("image,group,mask_share,predicted_share,dice,iou,pixel_auroc,pointing,energy_in_mask,lung_involvement,"
        + "covid_probability,logodds_drop_lesion,logodds_drop_random");
    for (var r : results) {
      lines.add(String.join(",", r.image(), r.group(), fmt(r.maskShare()), fmt(r.predictedShare()), fmt(r.dice()),
          fmt(r.iou()), fmt(r.pixelAuroc()), fmt(r.pointing()), fmt(r.energyInMask()), fmt(r.involvement()),
          fmt(r.covidProbability()), fmt(r.dropLesion()), fmt(r.dropRandom())));
    }
    Files.write(out.resolve(CSV_FILE), lines);
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.5f", v);
  }
}
