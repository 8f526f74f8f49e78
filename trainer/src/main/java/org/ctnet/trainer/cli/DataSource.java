package org.ctnet.trainer.cli;

import org.ctnet.trainer.data.ImageLimits;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.DatasetReader;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.train.Progress;
import picocli.CommandLine.Option;

/** Where the images are and how they are read. */
public final class DataSource {
  @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE) picocli.CommandLine.Model.CommandSpec mixee;

  @Option(names = "--data", paramLabel = "PATH",
      description = "Required (fine-tune: or --studies). Class-folder root, manifest.csv, or a folder holding manifest.csv (columns path,label[,group]). "
          + "Repeat it to train on several sources at once: groups stay within their source and the reports break "
          + "figures down by source.")
  List<Path> data;

  @Option(names = "--group-column", paramLabel = "NAME",
      description = "Manifest column with the scan/patient id (default: the first of pseudo_scan_group, group, patient_id, ...).")
  String groupColumn;

  @Option(names = "--classes", split = ",", paramLabel = "NEG,POS",
      description = "Class names in logit order, positive last (default: non-X before X, else alphabetical).")
  List<String> classes;

  @Option(names = "--strict", description = "Fail on the first unreadable image instead of skipping it with a warning.")
  boolean strict;

  boolean given() {
    return data != null && !data.isEmpty();
  }

  Dataset read() throws IOException {
    if (!given()) {
      // A usage error (exit 2), as picocli's own for a missing required option.
      throw new picocli.CommandLine.ParameterException(mixee.commandLine(),
          "Missing required option: '--data=PATH' (a class-folder root, a manifest.csv, or a folder holding one)");
    }
    return DatasetReader.readAll(data, groupColumn, classes);
  }

  ImageStore load(Dataset dataset, Preprocessing preprocessing, String what, PrintWriter out) throws IOException {
    ImagePreprocessor pre = new ImagePreprocessor(preprocessing, ImageLimits.MAX_PIXELS);
    ImageStore store;
    try (Progress progress = new Progress("loading " + what, dataset.samples().size(), out)) {
      int[] last = {0};
      store = ImageStore.load(dataset, pre, strict, done -> {
        synchronized (last) {
          progress.step(done - last[0], "");
          last[0] = done;
        }
      });
    }
    if (!store.skipped().isEmpty()) {
      out.printf("warning: skipped %d unreadable image(s) in %s:%n", store.skipped().size(), what);
      store.skipped().forEach(s -> out.printf("  %s: %s%n", s.sample().path(), s.reason()));
    }
    return store;
  }
}
