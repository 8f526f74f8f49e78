package org.ctnet.trainer.cli;

import org.ctnet.trainer.data.ImageLimits;

import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.trainer.data.Csv;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.Sample;
import org.ctnet.trainer.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The input checks on a data set: what each image's statistics are and which it fails, per source. */
@Command(name = "input-check", mixinStandardHelpOptions = true,
    description = "Run the input checks (lung field found and large enough, lung window, size) on every image of "
        + "one or several sources without a model; write each image's statistics and reasons, and print the flagged "
        + "share per source and label.")
public final class InputCheckCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin DataSource data;

  @Option(names = "--out", defaultValue = "input-check.csv", paramLabel = "FILE", description = "Per-image CSV (default ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    Dataset dataset = data.read();
    // The shipped models' contract: 224×224, whole image, DICOM through the lung window.
    var preprocessing = org.ctnet.graph.preprocess.Preprocessing.forInput(224, 224, 1);
    ImagePreprocessor pre = new ImagePreprocessor(preprocessing, ImageLimits.MAX_PIXELS);
    PrintWriter say = spec.commandLine().getOut();
    Map<String, int[]> counts = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> reasons = new LinkedHashMap<>();
    if (out.toAbsolutePath().getParent() != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
    }
    try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8);
        Progress progress = new Progress("input-check", dataset.samples().size(), say)) {
      w.write(Csv.row("path", "source", "label", "lung_share", "black_share", "lung_mean", "bright_tissue", "input_check")
          + "\n");
      for (Sample s : dataset.samples()) {
        String key = s.source() + " / " + s.label();
        int[] c = counts.computeIfAbsent(key, k -> new int[2]);
        try {
          InputCheck.Result r = InputCheck.inspect(Files.readAllBytes(s.path()), pre).check();
          c[0]++;
          if (!r.ok()) {
            c[1]++;
            r.reasons().forEach(reason -> reasons.computeIfAbsent(key, k -> new LinkedHashMap<>())
                .merge(reason.code(), 1, Integer::sum));
          }
          w.write(Csv.row(s.path().toString(), s.source(), s.label(), fmt(r.lungShare()), fmt(r.blackShare()),
              fmt(r.lungMean()), fmt(r.brightTissue()), r.code()) + "\n");
        } catch (java.io.IOException e) {
          w.write(Csv.row(s.path().toString(), s.source(), s.label(), "", "", "", "", "unreadable: " + e.getMessage())
              + "\n");
        }
        progress.step(1, "");
      }
    }
    counts.forEach((key, c) -> say.printf(Locale.ROOT, "%-40s %5d images, %5.1f%% flagged %s%n", key, c[0],
        c[0] == 0 ? 0.0 : 100.0 * c[1] / c[0], reasons.getOrDefault(key, Map.of())));
    say.println("wrote " + out);
    return ExitCode.OK;
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
  }
}
