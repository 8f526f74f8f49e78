package org.ctnet.trainer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.ctnet.trainer.batch.ShardOutput;
import org.ctnet.trainer.data.Csv;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Joins the per-shard CSVs of a batch ({@code ctnet predict --shard i/n}) into one: same header in
 * every part, every row once, and a refusal when parts are missing or still being written.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
    description = {"Merge the CSV parts of a sharded batch (predict --shard) into one CSV, with a count per label.",
        "Refuses parts still being written (.partial), parts with different columns, a row twice, and fewer parts than "
            + "--expect-parts."})
public final class MergeCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "PART", description = "CSV parts, or folders whose *.csv files are parts.")
  List<Path> parts;

  @Option(names = "--output", required = true, paramLabel = "FILE", description = "The merged CSV.")
  Path output;

  @Option(names = "--expect-parts", paramLabel = "N", description = "Fail unless exactly N parts are found (the shard count).")
  Integer expectParts;

  @Option(names = "--key-column", defaultValue = "0", paramLabel = "K",
      description = "Column that names a row (path or scan; default ${DEFAULT-VALUE}): a name in two parts is an error.")
  int keyColumn;

  @Option(names = "--label-column", defaultValue = "label", paramLabel = "NAME",
      description = "Column counted per value in the summary (default ${DEFAULT-VALUE}; 'positive' for scans.csv parts).")
  String labelColumn;

  @Override
  public Integer call() throws IOException {
    PrintWriter say = spec.commandLine().getOut();
    List<Path> files = new ArrayList<>();
    List<Path> unfinished = new ArrayList<>();
    for (Path p : parts) {
      if (Files.isDirectory(p)) {
        try (Stream<Path> list = Files.list(p)) {
          for (Path f : list.filter(f -> f.getFileName().toString().toLowerCase().endsWith(".csv")).sorted().toList()) {
            if (ShardOutput.isStaging(f)) {
              unfinished.add(f);
            } else if (!f.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
              files.add(f);
            }
          }
        }
      } else if (ShardOutput.isStaging(p)) {
        unfinished.add(p);
      } else if (Files.isRegularFile(p)) {
        files.add(p);
      } else {
        throw new IOException("part not found: " + p);
      }
    }
    if (!unfinished.isEmpty()) {
      throw new IOException(unfinished.size() + " part(s) still being written or left by a failed shard: " + unfinished
          + " (rerun those shards with --resume)");
    }
    if (files.isEmpty()) {
      throw new IOException("no CSV part found in " + parts);
    }
    if (expectParts != null && files.size() != expectParts) {
      throw new IOException("expected " + expectParts + " parts, found " + files.size() + ": " + files);
    }
    String[] header = null;
    Map<String, Path> seen = new java.util.HashMap<>();
    Map<String, Integer> perLabel = new TreeMap<>();
    int labelIndex = -1;
    int rows = 0;
    Path staging = ShardOutput.staging(output);
    if (output.toAbsolutePath().getParent() != null) {
      Files.createDirectories(output.toAbsolutePath().getParent());
    }
    try (Writer out = Files.newBufferedWriter(staging, StandardCharsets.UTF_8)) {
      for (Path f : files) {
        List<String[]> table = Csv.read(f);
        if (table.isEmpty()) {
          throw new IOException("part " + f + " is empty (not even a header)");
        }
        if (header == null) {
          header = table.get(0);
          labelIndex = Arrays.asList(header).indexOf(labelColumn);
          if (keyColumn < 0 || keyColumn >= header.length) {
            throw new IOException("--key-column " + keyColumn + " is outside the " + header.length + " columns of " + f);
          }
          out.write(Csv.row((Object[]) header) + "\n");
        } else if (!Arrays.equals(header, table.get(0))) {
          throw new IOException("part " + f + " has columns " + Arrays.toString(table.get(0)) + ", the first part "
              + Arrays.toString(header));
        }
        for (String[] row : table.subList(1, table.size())) {
          Path before = seen.put(row[keyColumn], f);
          if (before != null) {
            throw new IOException("'" + row[keyColumn] + "' is in two parts: " + before + " and " + f
                + " (were the shards cut with different counts?)");
          }
          out.write(Csv.row((Object[]) row) + "\n");
          rows++;
          if (labelIndex >= 0 && labelIndex < row.length) {
            perLabel.merge(row[labelIndex].isEmpty() ? "(unscored)" : row[labelIndex], 1, Integer::sum);
          }
        }
      }
    }
    ShardOutput.publish(output);
    say.printf("wrote %s: %d rows from %d parts%s%n", output, rows, files.size(),
        perLabel.isEmpty() ? "" : "; " + labelColumn + " " + perLabel);
    return ExitCode.OK;
  }
}
