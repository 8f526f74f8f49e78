package org.ctnet.trainer.cli;

import org.ctnet.trainer.data.ImageLimits;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.preprocess.GreyImage;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.trainer.confounds.ConfoundReport;
import org.ctnet.trainer.confounds.ImageFeatures;
import org.ctnet.trainer.data.Csv;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.Sample;
import org.ctnet.trainer.train.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trivial image properties that separate the classes within a source, or point opposite ways across sources. */
@Command(name = "confounds", mixinStandardHelpOptions = true,
    description = "Check labelled data for shortcuts before training or fine-tuning: how well size, aspect, grey "
        + "levels, lung-field share and edge strength alone tell the positive class in each --data source "
        + "(ROC-AUC with group-bootstrap CI), flagging shortcuts and features that flip between sources.")
public final class ConfoundsCommand implements Callable<Integer> {
  /**
   * Slices are analysed at the default network's input size (the size clients send) for the features
   * measured on the model's view (lung field, edges).
   */
  static final int SIZE = org.ctnet.graph.spec.SpecJson.preset(NetworkOptions.DEFAULT_PRESET).inputHeight();
  static final String CSV = "confounds.csv";
  static final String JSON = "confounds.json";

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin DataSource data;

  @Option(names = "--out", defaultValue = "confounds", paramLabel = "DIR", description = "Output folder (default ${DEFAULT-VALUE}).")
  Path out;

  @Mixin BootstrapOption bootstrapOption = new BootstrapOption();

  @Override
  public Integer call() throws Exception {
    PrintWriter say = spec.commandLine().getOut();
    if (bootstrapOption.replicates < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--bootstrap must be at least 1, got " + bootstrapOption.replicates);
    }
    Dataset dataset = data.read();
    int positive = dataset.classes().size() - 1;
    ImagePreprocessor pre = new ImagePreprocessor(Preprocessing.forInput(SIZE, SIZE, 1), ImageLimits.MAX_PIXELS);
    Map<String, List<double[]>> features = new LinkedHashMap<>();
    Map<String, List<Integer>> labels = new LinkedHashMap<>();
    Map<String, List<String>> groups = new LinkedHashMap<>();
    List<String> skipped = new ArrayList<>();
    try (Progress progress = new Progress("measuring", dataset.samples().size(), say)) {
      for (Sample s : dataset.samples()) {
        try {
          GreyImage grey = pre.decode(Files.readAllBytes(s.path()));
          double[] values = ImageFeatures.of(grey, pre.toModelInput(grey), SIZE, SIZE);
          features.computeIfAbsent(s.source(), k -> new ArrayList<>()).add(values);
          labels.computeIfAbsent(s.source(), k -> new ArrayList<>()).add(dataset.classIndex(s.label()) == positive ? 1 : 0);
          groups.computeIfAbsent(s.source(), k -> new ArrayList<>()).add(s.group());
        } catch (ImageDecodeException e) {
          if (data.strict) {
            throw new java.io.IOException("unreadable image " + s.path() + ": " + e.getMessage(), e);
          }
          skipped.add(s.path() + ": " + e.getMessage());
        }
        progress.step(1, "");
      }
    }
    skipped.forEach(line -> say.println("warning: skipped " + line));
    // Every source holds both classes: the dataset reader refuses a one-class source.
    Map<String, double[][]> bySource = new LinkedHashMap<>();
    Map<String, int[]> labelsBySource = new LinkedHashMap<>();
    for (String source : features.keySet()) {
      bySource.put(source, features.get(source).toArray(double[][]::new));
      labelsBySource.put(source, labels.get(source).stream().mapToInt(Integer::intValue).toArray());
    }
    ConfoundReport.Result result = ConfoundReport.of(bySource, labelsBySource, groups, bootstrapOption.replicates, 42);
    write(result, dataset.classes().get(positive));
    print(result, dataset.classes().get(positive), say);
    return ExitCode.OK;
  }

  private void write(ConfoundReport.Result result, String positiveClass) throws java.io.IOException {
    Files.createDirectories(out);
    StringBuilder csv = new StringBuilder(Csv.row("source", "feature", "images", "groups", "auc_" + positiveClass,
        "lower", "upper", "shortcut")).append('\n');
    for (ConfoundReport.Row r : result.rows()) {
      csv.append(Csv.row(r.source(), r.feature(), r.images(), r.groups(), r.auc().value(), r.auc().lower(),
          r.auc().upper(), r.shortcut())).append('\n');
    }
    Files.writeString(out.resolve(CSV), csv.toString());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve(JSON).toFile(),
        Map.of("positiveClass", positiveClass, "rows", result.rows(), "flips", result.flips(),
            "shortcutDistance", ConfoundReport.SHORTCUT_DISTANCE));
  }

  private void print(ConfoundReport.Result result, String positiveClass, PrintWriter say) {
    say.printf("ROC-AUC of each feature alone for '%s' (95%% group-bootstrap CI); 0.5 = no information%n", positiveClass);
    for (ConfoundReport.Row r : result.rows()) {
      say.printf("  %-24s %-28s %.3f [%.3f, %.3f]%s%n", r.feature(), r.source(), r.auc().value(), r.auc().lower(),
          r.auc().upper(), r.shortcut() ? "  SHORTCUT: separates the classes by itself" : "");
    }
    for (ConfoundReport.Flip f : result.flips()) {
      say.printf("FLIP: %s is higher in '%s' slices of %s and lower in those of %s (AUC difference %.3f [%.3f, %.3f]): "
          + "a model that learned it on one is pushed below chance on the other%n", f.feature(), positiveClass,
          f.higherIn(), f.lowerIn(), f.difference().value(), f.difference().lower(), f.difference().upper());
    }
    if (result.flips().isEmpty() && result.rows().stream().noneMatch(ConfoundReport.Row::shortcut)) {
      say.println("no shortcut and no flip found");
    }
    say.println("wrote " + out.resolve(CSV) + " and " + out.resolve(JSON));
  }
}
