package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.trainer.batch.Shard;
import org.ctnet.trainer.data.Csv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch scoring as a Kubernetes indexed Job runs it: shards that together score every image once,
 * with the same numbers as one unsharded run; a killed shard resumed without scoring again what it
 * wrote; a merge that refuses missing, unfinished or overlapping parts.
 */
class BatchCliTest {
  @TempDir static Path dir;
  static Path data;
  static Path model;

  @BeforeAll
  static void setUp() throws IOException {
    data = SyntheticDataset.write(dir.resolve("data"), 23, 3, false);
    try (ModelSession m = TestModels.trainedOnBlobs(15, 7)) {
      model = m.export(dir.resolve("models/blobs"), 1, m.assets());
    }
  }

  private static Map<String, String> probabilities(Path csv) throws IOException {
    Map<String, String> out = new TreeMap<>();
    List<String[]> rows = Csv.read(csv);
    for (String[] row : rows.subList(1, rows.size())) {
      assertNull(out.put(row[0], row[1]), "each image once: " + row[0]);
    }
    return out;
  }

  private static CliTest.Run predict(String... extra) {
    List<String> args = new ArrayList<>(List.of("predict", "--model", model.toString(), "--input", data.toString(),
        "--batch-size", "4"));
    args.addAll(List.of(extra));
    return CliTest.run(args.toArray(String[]::new));
  }

  @Test
  void shardsCoverEveryImageOnceWithTheNumbersOfOneRunAndMerge() throws IOException {
    CliTest.Run whole = predict("--output", dir.resolve("whole.csv").toString());
    assertEquals(0, whole.exitCode(), whole.err());
    Map<String, String> expected = probabilities(dir.resolve("whole.csv"));
    assertEquals(23, expected.size());

    Path parts = Files.createDirectories(dir.resolve("parts"));
    for (int i = 0; i < 3; i++) {
      CliTest.Run r = predict("--shard", i + "/3", "--output", parts.resolve("predictions-" + i + ".csv").toString());
      assertEquals(0, r.exitCode(), r.out() + r.err());
      assertTrue(r.out().contains("of shard " + i + "/3"), r.out());
    }
    assertEquals(8, probabilities(parts.resolve("predictions-0.csv")).size(), "23 images: shards of 8, 8, 7");
    assertEquals(7, probabilities(parts.resolve("predictions-2.csv")).size());

    Path merged = dir.resolve("merged/all.csv");
    CliTest.Run merge = CliTest.run("merge", "--expect-parts", "3", "--output", merged.toString(), parts.toString());
    assertEquals(0, merge.exitCode(), merge.out() + merge.err());
    assertEquals(expected, probabilities(merged), "sharded = unsharded, every image once");
    assertTrue(merge.out().contains("23 rows from 3 parts") && merge.out().contains("label {"), merge.out());

    CliTest.Run missing = CliTest.run("merge", "--expect-parts", "4", "--output", dir.resolve("x.csv").toString(),
        parts.toString());
    assertEquals(1, missing.exitCode());
    assertTrue(missing.err().contains("expected 4 parts, found 3"), missing.err());

    Files.copy(parts.resolve("predictions-1.csv"), dir.resolve("again.csv"));
    CliTest.Run twice = CliTest.run("merge", "--output", dir.resolve("y.csv").toString(),
        parts.resolve("predictions-1.csv").toString(), dir.resolve("again.csv").toString());
    assertEquals(1, twice.exitCode());
    assertTrue(twice.err().contains("is in two parts"), twice.err());
    assertFalse(Files.exists(dir.resolve("y.csv")), "no merged file from a failed merge");
  }

  @Test
  void aKilledShardResumesWithoutScoringAgainAndMergeWaitsForIt() throws IOException {
    Path parts = Files.createDirectories(dir.resolve("resume"));
    Path out = parts.resolve("predictions-1.csv");
    CliTest.Run first = predict("--shard", "1/2", "--output", out.toString());
    assertEquals(0, first.exitCode(), first.err());
    List<String> lines = Files.readAllLines(out);
    assertEquals(1 + 11, lines.size());

    // What a pod killed mid-shard leaves: the staging file with whole rows and a cut last line. The
    // kept rows carry a marker value, so a rescored row would show.
    Path staging = parts.resolve("predictions-1.partial.csv");
    String[] fields = lines.get(1).split(",", -1);
    assertNotEquals("0.123456", fields[1]);
    fields[1] = "0.123456";
    String marked = String.join(",", fields);
    Files.writeString(staging, lines.get(0) + "\n" + marked + "\n" + lines.get(2) + "\n" + lines.get(3).substring(0, 10));
    Files.delete(out);

    CliTest.Run unfinished = CliTest.run("merge", "--output", parts.resolve("m.csv").toString(), parts.toString());
    assertEquals(1, unfinished.exitCode());
    assertTrue(unfinished.err().contains("still being written"), unfinished.err());

    CliTest.Run resumed = predict("--shard", "1/2", "--output", out.toString(), "--resume");
    assertEquals(0, resumed.exitCode(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("2 images already scored, 9 to go"), resumed.out());
    assertFalse(Files.exists(staging));
    List<String> after = Files.readAllLines(out);
    assertEquals(lines.size(), after.size());
    assertEquals(marked, after.get(1), "a row written before the kill is kept, not rescored");
    assertEquals(new java.util.HashSet<>(lines.subList(2, lines.size())), new java.util.HashSet<>(after.subList(2, after.size())));

    CliTest.Run done = predict("--shard", "1/2", "--output", out.toString(), "--resume");
    assertEquals(0, done.exitCode());
    assertTrue(done.out().contains("is complete (shard 1/2): nothing to do"), done.out());
  }

  @Test
  void scanBatchesShardByArchiveEntry() throws IOException {
    Path archive = Files.createDirectories(dir.resolve("archive"));
    List<Path> pngs;
    try (var walk = Files.walk(data)) {
      pngs = walk.filter(p -> p.toString().endsWith(".png")).sorted().limit(9).toList();
    }
    for (int i = 0; i < pngs.size(); i++) {
      Path scan = Files.createDirectories(archive.resolve("patient-" + (i / 3)));
      Files.copy(pngs.get(i), scan.resolve(pngs.get(i).getFileName()));
    }
    Path parts = Files.createDirectories(dir.resolve("scan-parts"));
    Path slices = Files.createDirectories(dir.resolve("scan-slices"));
    for (int i = 0; i < 2; i++) {
      CliTest.Run r = CliTest.run("predict", "--model", model.toString(), "--input", archive.toString(), "--scans",
          "--shard", i + "/2", "--output", slices.resolve("slices-" + i + ".csv").toString(),
          "--scan-output", parts.resolve("scans-" + i + ".csv").toString());
      assertEquals(0, r.exitCode(), r.out() + r.err());
      assertTrue(Files.exists(parts.resolve("scans-" + i + ".html")), "the report of the shard");
    }
    assertEquals(List.of("patient-0", "patient-2"),
        Csv.read(parts.resolve("scans-0.csv")).stream().skip(1).map(r -> r[0]).toList());
    CliTest.Run merge = CliTest.run("merge", "--expect-parts", "2", "--label-column", "positive",
        "--output", dir.resolve("scans.csv").toString(), parts.toString());
    assertEquals(0, merge.exitCode(), merge.out() + merge.err());
    assertEquals(List.of("patient-0", "patient-1", "patient-2"),
        Csv.read(dir.resolve("scans.csv")).stream().skip(1).map(r -> r[0]).sorted().toList());
  }

  @Test
  void badShardsAreUsageErrors() {
    assertEquals(new Shard(3, 8), Shard.parse("3/8"));
    for (String bad : new String[] {"8/8", "-1/4", "2", "a/b", "1/0"}) {
      CliTest.Run r = predict("--shard", bad, "--output", dir.resolve("never.csv").toString());
      assertEquals(2, r.exitCode(), bad);
      assertTrue(r.err().contains("INDEX/COUNT"), r.err());
    }
  }

  /** deploy/batch: the indexed Job and the merge run commands this CLI accepts, with agreeing counts. */
  @Test
  void theKubernetesBatchJobsRunThisCli() throws Exception {
    List<org.ctnet.graph.testing.DeployFiles.Manifest> jobs = org.ctnet.graph.testing.DeployFiles.all().stream()
        .filter(m -> m.kind().equals("Job")).toList();
    var score = jobs.stream().filter(m -> m.body().path("spec").path("completionMode").asText().equals("Indexed"))
        .findFirst().orElseThrow();
    var merge = jobs.stream().filter(m -> m != score).findFirst().orElseThrow();
    int completions = score.body().path("spec").path("completions").asInt();
    assertTrue(completions > 1);

    var scorer = org.ctnet.graph.testing.DeployFiles.containers(score).get(0);
    assertEquals(org.ctnet.graph.testing.DeployFiles.image("trainer"), scorer.path("image").asText());
    assertEquals("metadata.annotations['batch.kubernetes.io/job-completion-index']",
        scorer.path("env").path(0).path("valueFrom").path("fieldRef").path("fieldPath").asText());
    String shardVar = "$(" + scorer.path("env").path(0).path("name").asText() + ")";
    List<String> args = new ArrayList<>();
    scorer.path("args").forEach(a -> args.add(a.asText().replace(shardVar, "5")));
    var parsed = Main.commandLine().parseArgs(args.toArray(String[]::new));
    assertEquals(new Shard(5, completions), parsed.subcommand().matchedOptionValue("--shard", null));
    assertTrue(parsed.subcommand().hasMatchedOption("--resume"), "a retried pod resumes its shard");
    String output = parsed.subcommand().matchedOptionValue("--output", null).toString();
    assertTrue(output.contains("-5."), "one output per shard: " + output);

    var merger = org.ctnet.graph.testing.DeployFiles.containers(merge).get(0);
    assertEquals(scorer.path("image").asText(), merger.path("image").asText());
    List<String> mergeArgs = new ArrayList<>();
    merger.path("args").forEach(a -> mergeArgs.add(a.asText()));
    var mergeParsed = Main.commandLine().parseArgs(mergeArgs.toArray(String[]::new)).subcommand();
    assertEquals(completions, (int) mergeParsed.matchedOptionValue("--expect-parts", 0));
    Path mergedFile = mergeParsed.matchedOptionValue("--output", null);
    List<Path> inputs = mergeParsed.matchedPositionalValue(0, null);
    assertEquals(Path.of(output).getParent(), inputs.get(0), "merge reads the folder the shards write");
    assertNotEquals(inputs.get(0), mergedFile.getParent(), "the merged file is not read back as a part");
  }
}
