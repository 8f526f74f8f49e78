package org.ctnet.trainer.cli;

import org.ctnet.trainer.data.ImageLimits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.render.HeatmapRenderer;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.Occlusion;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.trainer.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Sliding-window occlusion maps: the drop in the class score per position. */
@Command(name = "occlusion", mixinStandardHelpOptions = true,
    description = "Sliding-window occlusion: how much the class score drops when each region is covered.")
public final class OcclusionCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Option(names = "--input", required = true, paramLabel = "PATH", description = "Image file, folder or manifest.csv.")
  Path input;

  @Option(names = "--out", defaultValue = "occlusion", paramLabel = "DIR", description = "Output folder (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--window", defaultValue = "32", description = "Window side in model-input pixels (default ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--stride", defaultValue = "16", description = "Window step (default ${DEFAULT-VALUE}).")
  int stride;

  @Option(names = "--fill", defaultValue = "0", description = "Fill value in [0, 1] (default ${DEFAULT-VALUE}: black).")
  float fill;

  @Option(names = "--class-index", defaultValue = "-1", description = "Class to watch; -1 = the positive class (default).")
  int classIndex;

  @Option(names = "--batch-size", defaultValue = "32", description = "Occluded copies per session run (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--score", defaultValue = "log-odds", converter = ScoreConverter.class,
      description = "Score whose drop is mapped: log-odds (default; still moves when the model is sure) or "
          + "probability (the paper's; flat when p is close to 1).")
  Occlusion.Score score;

  /** log-odds | probability. */
  static final class ScoreConverter implements picocli.CommandLine.ITypeConverter<Occlusion.Score> {
    @Override
    public Occlusion.Score convert(String value) {
      return switch (value) {
        case "log-odds" -> Occlusion.Score.LOG_ODDS;
        case "probability" -> Occlusion.Score.PROBABILITY;
        default -> throw new picocli.CommandLine.TypeConversionException("expected log-odds or probability, got '" + value + "'");
      };
    }
  }

  @Override
  public Integer call() throws Exception {
    List<Path> files = Inputs.list(input);
    if (files.isEmpty()) {
      throw new IOException("no images found at " + input);
    }
    Occlusion.Settings settings = new Occlusion.Settings(window, stride, fill, batchSize, score);
    Files.createDirectories(out);
    try (LoadedModel session = LoadedModel.load(model.versionDir(), SessionOptions.DEFAULT);
        Progress progress = new Progress("occlusion", files.size(), spec.commandLine().getOut())) {
      ModelAssets assets = session.assets();
      int target = classIndex < 0 ? assets.positiveClass() : classIndex;
      ImagePreprocessor pre = new ImagePreprocessor(assets.preprocessing(), ImageLimits.MAX_PIXELS);
      int w = assets.spec().inputWidth();
      int h = assets.spec().inputHeight();
      for (Path f : files) {
        try {
          float[] image = pre.toModelInput(Files.readAllBytes(f));
          Occlusion.Result r = Occlusion.run(session, image, target, settings, done -> { });
          String stem = Inputs.stem(f);
          Files.write(out.resolve(stem + ".occlusion.png"),
              HeatmapRenderer.png(org.ctnet.trainer.explain.ExplainEvaluation.grey(image, assets), r.normalised(), w, h, 0.5));
          ExplainCommand.writeFloats(out.resolve(stem + ".occlusion.f32"), r.drop());
          progress.step(1, String.format("score %.3f over %d windows", r.baseScore(), r.windows()));
        } catch (IOException e) {
          spec.commandLine().getOut().println("warning: skipped " + f + ": " + e.getMessage());
          progress.step(1, "");
        }
      }
      spec.commandLine().getOut().println("wrote " + out);
      return ExitCode.OK;
    }
  }
}
