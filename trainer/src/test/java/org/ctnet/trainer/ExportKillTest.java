package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ctnet export} killed with {@code kill -9} while it writes: no half version is ever visible
 * to a server (an integer folder either loads whole or does not exist), and the next export works.
 * Fine-tune and train publish through the same staging-then-rename export.
 */
class ExportKillTest {
  @TempDir Path dir;

  private Process export(Path model, Path to, long version, Path log) throws IOException {
    return CliProcess.start(List.of("export", "--model", model.toString(), "--to", to.toString(), "--model-version",
        Long.toString(version)), log);
  }

  private static boolean staging(Path modelDir) throws IOException {
    if (!Files.isDirectory(modelDir)) {
      return false;
    }
    try (Stream<Path> children = Files.list(modelDir)) {
      return children.anyMatch(p -> p.getFileName().toString().startsWith(ModelExport.STAGING_PREFIX));
    }
  }

  /** Every integer folder must load: what a polling server would pick up. */
  private static void assertOnlyWholeVersions(Path modelDir) throws IOException {
    if (!Files.isDirectory(modelDir)) {
      return;
    }
    try (Stream<Path> children = Files.list(modelDir)) {
      for (Path v : children.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
        try (LoadedModel loaded = LoadedModel.load(v, SessionOptions.DEFAULT)) {
          assertEquals(2, loaded.predict(new float[32 * 32], 1).probabilities()[0].length, v.toString());
        }
      }
    }
  }

  @Test
  void anExportKilledAtAnyPointLeavesNoHalfVersion() throws Exception {
    Path source = dir.resolve("source");
    try (ModelSession m = TestModels.trainedOnBlobs(5, 3)) {
      m.export(source, 1, m.assets());
    }
    Path to = dir.resolve("served/m");
    Random random = new Random(11);
    int killedWhileStaging = 0;
    for (int trial = 0; trial < 2; trial++) {
      Path log = dir.resolve("kill" + trial + ".log");
      Process victim = export(source.resolve("1"), to, 10 + trial, log);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      // Kill while the staging folder is being written (plus a random few ms), or at once if the export finished.
      while (victim.isAlive() && !staging(to) && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
      Thread.sleep(random.nextInt(40));
      killedWhileStaging += victim.isAlive() && staging(to) ? 1 : 0;
      victim.destroyForcibly();
      victim.waitFor();
      assertOnlyWholeVersions(to);
    }
    assertTrue(killedWhileStaging > 0, "at least one kill landed while the version was being written");
    Path log = dir.resolve("whole.log");
    Process whole = export(source.resolve("1"), to, 20, log);
    assertTrue(whole.waitFor(3, TimeUnit.MINUTES));
    assertEquals(0, whole.exitValue(), Files.readString(log));
    assertTrue(Files.isDirectory(to.resolve("20")));
    assertOnlyWholeVersions(to);
  }

  /**
   * A disk that fills while a version is written (here: a file-size limit on the exporting process):
   * the export fails with a clear error, no new version and no staging folder remain, and the
   * versions already there still load.
   */
  @Test
  void aDiskFullDuringExportLeavesNoPartialVersionAndSaysWhy() throws Exception {
    Path source = dir.resolve("source-full");
    try (ModelSession m = TestModels.trainedOnBlobs(5, 3)) {
      m.export(source, 1, m.assets());
    }
    Path to = dir.resolve("served-full/m");
    Path log = dir.resolve("first.log");
    Process first = export(source.resolve("1"), to, 1, log);
    assertTrue(first.waitFor(3, TimeUnit.MINUTES));
    assertEquals(0, first.exitValue(), Files.readString(log));
    long largest;
    try (Stream<Path> files = Files.walk(to.resolve("1"))) {
      largest = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).max().orElseThrow();
    }
    // Room for the log and small files, not for the version's largest file.
    long limitKiB = Math.max(8, largest / 1024 / 2);
    Path fullLog = dir.resolve("full.log");
    Process full = CliProcess.startWithFileLimit(limitKiB, List.of("export", "--model", source.resolve("1").toString(),
        "--to", to.toString(), "--model-version", "2"), fullLog);
    assertTrue(full.waitFor(3, TimeUnit.MINUTES));
    String said = Files.readString(fullLog);
    assertEquals(1, full.exitValue(), said);
    assertTrue(said.contains("error:"), "a clear error, not a crash: " + said);
    assertFalse(Files.exists(to.resolve("2")), "no partial version");
    assertFalse(staging(to), "the staging folder is removed");
    assertOnlyWholeVersions(to);
  }
}
