package org.ctnet.trainer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.trainer.data.Csv;
import org.ctnet.trainer.eval.PairedComparison;
import org.ctnet.trainer.eval.PairedComparison.Pair;
import org.ctnet.trainer.eval.PairedComparison.Row;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Two scorings of the same slices, compared pairwise by ROC-AUC. */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = "Compare two scorings of the same slices (e.g. two cross-validations' out-of-fold.csv with the "
        + "same folds): ROC-AUC of each and of B − A with a paired group-bootstrap 95%% interval, for all slices "
        + "and per source. Each CSV needs the columns path, label, group and score (source optional); slices are "
        + "matched by path, relative paths taken from the current folder.")
public final class CompareCommand implements Callable<Integer> {
  static final String JSON = "comparison.json";
  private static final List<String> REQUIRED = List.of("path", "label", "group", "score");

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "A.csv", description = "The first scoring (the reference).")
  Path first;

  @Parameters(index = "1", paramLabel = "B.csv", description = "The second scoring (the candidate).")
  Path second;

  @Option(names = "--positive", paramLabel = "LABEL",
      description = "The label the scores are for; every other label is negative (default ${DEFAULT-VALUE}, the default labels' positive class).")
  String positive = ModelAssets.DEFAULT_LABELS.getLast();

  @Mixin BootstrapOption bootstrapOption = new BootstrapOption();

  @Option(names = "--out", paramLabel = "DIR", description = "Also write " + JSON + " into this folder.")
  Path out;

  @Option(names = "--by-scan", description = "Compare scans, not slices: each group's slices pooled into one scan score "
      + "by the served scan rule (mean of the top 20%% slices), a scan positive when any of its slices is; intervals "
      + "resample scans.")
  boolean byScan;

  private record Scored(String group, String source, String label, double score) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter say = spec.commandLine().getOut();
    if (bootstrapOption.replicates < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--bootstrap must be at least 1, got " + bootstrapOption.replicates);
    }
    Map<String, Scored> a = read(first);
    Map<String, Scored> b = read(second);
    List<String> onlyA = a.keySet().stream().filter(k -> !b.containsKey(k)).toList();
    List<String> onlyB = b.keySet().stream().filter(k -> !a.containsKey(k)).toList();
    if (!onlyA.isEmpty() || !onlyB.isEmpty()) {
      throw new IOException("the two files must score the same slices: " + onlyA.size() + " only in " + first + " (e.g. "
          + onlyA.stream().findFirst().orElse("none") + "), " + onlyB.size() + " only in " + second + " (e.g. "
          + onlyB.stream().findFirst().orElse("none") + ")");
    }
    List<Pair> pairs = new ArrayList<>();
    for (Map.Entry<String, Scored> e : a.entrySet()) {
      Scored x = e.getValue();
      Scored y = b.get(e.getKey());
      if (!x.label().equals(y.label())) {
        throw new IOException("slice " + e.getKey() + " is '" + x.label() + "' in " + first + " but '" + y.label()
            + "' in " + second);
      }
      pairs.add(new Pair(e.getKey(), x.group(), x.source(), x.label().equals(positive) ? 1 : 0, x.score(), y.score()));
    }
    long positives = pairs.stream().filter(p -> p.label() == 1).count();
    if (positives == 0 || positives == pairs.size()) {
      throw new IOException("ROC-AUC needs both classes: " + positives + " of " + pairs.size() + " slices are '"
          + positive + "' (--positive names the label the scores are for)");
    }
    if (byScan) {
      pairs = PairedComparison.byGroup(pairs, org.ctnet.graph.assets.ScanRule.DEFAULT);
    }
    List<Row> rows = PairedComparison.compare(pairs, bootstrapOption.replicates, 42);
    print(rows, say);
    if (out != null) {
      Files.createDirectories(out);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("a", first.toString());
      json.put("b", second.toString());
      json.put("positive", positive);
      json.put("bootstrap", bootstrapOption.replicates);
      json.put("unit", byScan ? "scan" : "slice");
      json.put("rows", rows);
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve(JSON).toFile(), json);
      say.println("wrote " + out.resolve(JSON));
    }
    return ExitCode.OK;
  }

  private void print(List<Row> rows, PrintWriter say) {
    say.printf("A = %s%nB = %s%n", first, second);
    say.println("| " + (byScan ? "scans" : "slices") + " | " + (byScan ? "scans" : "images") + " | groups | ROC-AUC A | ROC-AUC B | B − A (paired 95% CI) | Brier A / B | |");
    say.println("|---|---:|---:|---|---|---|---|---|");
    for (Row r : rows) {
      String difference = Double.isNaN(r.difference().value()) ? "—" : String.format("%+.3f [%+.3f, %+.3f]",
          r.difference().value(), r.difference().lower(), r.difference().upper());
      say.printf("| %s | %d | %d | %s | %s | %s | %.3f / %.3f | %s |%n", r.subset(), r.images(), r.groups(),
          estimate(r.aucA()), estimate(r.aucB()), difference, r.brierA(), r.brierB(), r.verdict().text());
    }
  }

  private static String estimate(org.ctnet.trainer.eval.Bootstrap.Estimate e) {
    return Double.isNaN(e.value()) ? "—" : String.format("%.3f [%.3f, %.3f]", e.value(), e.lower(), e.upper());
  }

  /** Rows by path; a missing column, a duplicate path or a score that is not a number is an error naming the row. */
  private static Map<String, Scored> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("no such file: " + file);
    }
    List<String[]> rows = Csv.read(file);
    if (rows.isEmpty()) {
      throw new IOException(file + " is empty");
    }
    List<String> header = List.of(rows.getFirst());
    for (String column : REQUIRED) {
      if (!header.contains(column)) {
        throw new IOException(file + " has no '" + column + "' column (columns: " + header + ")");
      }
    }
    int path = header.indexOf("path");
    int label = header.indexOf("label");
    int group = header.indexOf("group");
    int score = header.indexOf("score");
    int source = header.indexOf("source");
    Map<String, Scored> byPath = new LinkedHashMap<>();
    for (int i = 1; i < rows.size(); i++) {
      String[] row = rows.get(i);
      if (row.length < header.size()) {
        throw new IOException(file + " row " + (i + 1) + " has " + row.length + " fields, the header " + header.size());
      }
      double value;
      try {
        value = Double.parseDouble(row[score]);
      } catch (NumberFormatException e) {
        throw new IOException(file + " row " + (i + 1) + ": score '" + row[score] + "' is not a number");
      }
      if (!Double.isFinite(value)) {
        throw new IOException(file + " row " + (i + 1) + ": score " + row[score] + " is not finite");
      }
      // Relative paths are resolved against this folder, as the commands that wrote them did.
      String key = Path.of(row[path]).toAbsolutePath().normalize().toString();
      Scored previous = byPath.put(key, new Scored(row[group], source < 0 ? "" : row[source], row[label], value));
      if (previous != null) {
        throw new IOException(file + " scores " + row[path] + " twice");
      }
    }
    return byPath;
  }
}
