package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.SyntheticImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} during a fine-tune on studies, then {@code --resume}: the run picks up from its
 * last whole checkpoint, reuses the decoded studies, and ends with the weights of an uninterrupted run.
 */
class StudyResumeTest {
  @TempDir Path dir;


  private List<String> args(Path model, Path studies, Path labels, Path run, boolean resume) {
    List<String> args = new ArrayList<>(List.of("fine-tune", "--model", model.toString(), "--studies",
        studies.toString(), "--labels", labels.toString(), "--validation-fraction", "0.25", "--test-fraction", "0",
        "--epochs", "3", "--patience", "0", "--batch-size", "12", "--lr", "0.003", "--augment-copies", "2",
        "--bootstrap", "10", "--export-anyway", "--threads", "1", "--run-dir", run.toString()));
    if (resume) {
      args.add("--resume");
    }
    return args;
  }

  @Test
  void killedStudyFineTuneResumesToTheUninterruptedWeights() throws Exception {
    Path data = SyntheticDataset.write(dir.resolve("data"), 64, 3, false);
    CliTest.Run base = CliTest.run("train", "--data", data.toString(), "--preset", "tiny", "--name", "blobs", "--models",
        dir.resolve("models").toString(), "--run-dir", dir.resolve("base-run").toString(), "--epochs", "1",
        "--batch-size", "8", "--augment-copies", "1", "--bootstrap", "10");
    assertEquals(0, base.exitCode(), base.out() + base.err());
    Path studies = dir.resolve("studies");
    StudyLabelsCliTest.writeStudies(studies, 8, 31);
    Path labels = StudyLabelsCliTest.labels(studies, 16, "");
    Path a = TestFiles.copyTree(dir.resolve("models/blobs/1"), dir.resolve("a/blobs/1"));
    Path b = TestFiles.copyTree(dir.resolve("models/blobs/1"), dir.resolve("b/blobs/1"));

    Process straight = CliProcess.start(args(a, studies, labels, dir.resolve("runA"), false), dir.resolve("a.log"));
    assertTrue(straight.waitFor(5, TimeUnit.MINUTES));
    assertEquals(0, straight.exitValue(), Files.readString(dir.resolve("a.log")));

    Path runB = dir.resolve("runB");
    Process victim = CliProcess.start(args(b, studies, labels, runB, false), dir.resolve("b1.log"));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!(Files.exists(runB.resolve("state.json"))
        && Files.readString(runB.resolve("state.json")).contains("\"completedEpochs\" : 1"))) {
      assertTrue(System.nanoTime() < deadline, "epoch 1 never completed: " + Files.readString(dir.resolve("b1.log")));
      assertTrue(victim.isAlive(), Files.readString(dir.resolve("b1.log")));
      Thread.sleep(20);
    }
    Thread.sleep(200);
    victim.destroyForcibly();
    victim.waitFor();
    assertFalse(Files.exists(b.resolveSibling("2")), "killed before export");

    Process resumed = CliProcess.start(args(b, studies, labels, runB, true), dir.resolve("b2.log"));
    assertTrue(resumed.waitFor(5, TimeUnit.MINUTES));
    String log = Files.readString(dir.resolve("b2.log"));
    assertEquals(0, resumed.exitValue(), log);
    assertTrue(log.contains("resumed after epoch"), log);
    assertFalse(log.contains("decoded ("), "the decoded studies are reused: " + log);

    SyntheticImages.Batch probe = SyntheticImages.blobs(8, 32, 999);
    try (LoadedModel x = LoadedModel.load(a.resolveSibling("2"), SessionOptions.DEFAULT);
        LoadedModel y = LoadedModel.load(b.resolveSibling("2"), SessionOptions.DEFAULT)) {
      assertEquals(x.assets().effectiveScanDecision().threshold(), y.assets().effectiveScanDecision().threshold(), 1e-6);
      Prediction px = x.predict(probe.pixels(), 8);
      Prediction py = y.predict(probe.pixels(), 8);
      for (int i = 0; i < 8; i++) {
        assertArrayEquals(px.logits()[i], py.logits()[i], 1e-3f, "image " + i);
      }
    }
  }
}
