package org.ctnet.trainer.workflow;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.ctnet.graph.runtime.BatchNormAdaptation;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;

/**
 * AdaBN as a workflow, shared by {@code ctnet adapt-batch-norm} and {@code transfer-study
 * --adapt-batch-norm}: rebuild an exported model, re-estimate its batch-norm statistics on a new
 * source's images (shuffled into batches), export the result as a new version with its other assets
 * carried over and a record of what it was adapted on.
 */
public final class AdaptedExport {
  /** Written beside the other assets: what the statistics were re-estimated on. */
  public static final String ADAPTATION_FILE = "batch_norm_adaptation.json";

  private AdaptedExport() {}

  /** What {@link #ADAPTATION_FILE} records: where the statistics came from and how far they moved. */
  public record Adaptation(String adaptedFrom, String source, int images, int batchNormLayers,
      double meanAbsoluteMeanShift, double geometricMeanVarianceRatio) {}

  /** The exported version, its adaptation, and the threshold it carried over unchanged. */
  public record Result(Path version, Adaptation adaptation, double threshold) {}

  /**
   * @param images preprocessed model inputs, at least 2 (the order is shuffled with {@code seed})
   * @param source what the images are, for the record
   */
  public static Result run(Path from, List<float[]> images, int batchSize, long seed, Path modelDir, long version,
      String source) throws IOException {
    if (images.size() < 2) {
      throw new IOException("need at least 2 readable images of " + source + ", found " + images.size());
    }
    List<float[]> shuffled = new ArrayList<>(images);
    Collections.shuffle(shuffled, new Random(seed));
    try (ModelSession session = ModelSession.rebuild(from, TrainingSpec.defaults(OptimizerKind.ADAM), SessionOptions.DEFAULT)) {
      BatchNormAdaptation.Summary summary = BatchNormAdaptation.reestimate(session, batches(shuffled, batchSize));
      Adaptation note = new Adaptation(from.toAbsolutePath().toString(), source, summary.images(), summary.layers(),
          summary.meanShift(), summary.varianceRatio());
      Path published = session.export(modelDir, version, session.assets(), staging -> {
        copyExtraAssets(from, staging);
        new ObjectMapper().writerWithDefaultPrettyPrinter()
            .writeValue(staging.resolve("assets.extra").resolve(ADAPTATION_FILE).toFile(), note);
      });
      return new Result(published, note, session.assets().decision().threshold());
    }
  }

  /** Carries the files of {@code from}'s assets.extra the export does not write itself (reports, notes). */
  public static void copyExtraAssets(Path from, Path staging) throws IOException {
    Path extra = from.resolve("assets.extra");
    try (Stream<Path> files = Files.walk(extra)) {
      for (Path p : files.toList()) {
        Path target = staging.resolve("assets.extra").resolve(extra.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!Files.exists(target)) {
          Files.copy(p, target);
        }
      }
    }
  }

  /** Consecutive batches; a last batch of one image joins the one before (one image has no batch statistics). */
  static List<float[]> batches(List<float[]> images, int batchSize) {
    List<float[]> batches = new ArrayList<>();
    int pixels = images.get(0).length;
    for (int start = 0; start < images.size(); ) {
      int n = Math.min(batchSize, images.size() - start);
      if (images.size() - start - n == 1) {
        n++;
      }
      float[] batch = new float[n * pixels];
      for (int i = 0; i < n; i++) {
        System.arraycopy(images.get(start + i), 0, batch, i * pixels, pixels);
      }
      batches.add(batch);
      start += n;
    }
    return batches;
  }
}
