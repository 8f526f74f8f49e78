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

/** kill -9 during training, then --resume, ends with the weights of an uninterrupted run. */
class ResumeTest {
  @TempDir Path dir;

  private List<String> trainArgs(Path data, Path run, Path models, boolean resume) {
    List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--preset", "tiny", "--name", "m",
        "--models", models.toString(), "--run-dir", run.toString(), "--epochs", "3", "--batch-size", "8",
        "--lr", "0.005", "--augment-copies", "3", "--bootstrap", "10", "--patience", "0", "--threads", "1"));
    if (resume) {
      args.add("--resume");
    }
    return args;
  }

  private Process start(List<String> args, Path log) throws IOException {
    return CliProcess.start(args, log);
  }

  @Test
  void killedAndResumedRunMatchesUninterruptedRun() throws Exception {
    Path data = SyntheticDataset.write(dir.resolve("data"), 160, 5, false);
    Process straight = start(trainArgs(data, dir.resolve("runA"), dir.resolve("modelsA"), false), dir.resolve("a.log"));
    assertTrue(straight.waitFor(5, TimeUnit.MINUTES));
    assertEquals(0, straight.exitValue(), Files.readString(dir.resolve("a.log")));

    Path runB = dir.resolve("runB");
    Process victim = start(trainArgs(data, runB, dir.resolve("modelsB"), false), dir.resolve("b1.log"));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!(Files.exists(runB.resolve("state.json")) && Files.readString(runB.resolve("state.json")).contains("\"completedEpochs\" : 1"))) {
      assertTrue(System.nanoTime() < deadline, "epoch 1 never completed: " + Files.readString(dir.resolve("b1.log")));
      assertTrue(victim.isAlive(), Files.readString(dir.resolve("b1.log")));
      Thread.sleep(20);
    }
    Thread.sleep(300);
    victim.destroyForcibly();
    victim.waitFor();
    assertFalse(Files.exists(dir.resolve("modelsB/m/1")), "killed before export");

    Process resumed = start(trainArgs(data, runB, dir.resolve("modelsB"), true), dir.resolve("b2.log"));
    assertTrue(resumed.waitFor(5, TimeUnit.MINUTES));
    String log = Files.readString(dir.resolve("b2.log"));
    assertEquals(0, resumed.exitValue(), log);
    assertTrue(log.contains("resumed after epoch"), log);

    SyntheticImages.Batch probe = SyntheticImages.blobs(8, 32, 999);
    try (LoadedModel a = LoadedModel.load(dir.resolve("modelsA/m/1"), SessionOptions.DEFAULT);
        LoadedModel b = LoadedModel.load(dir.resolve("modelsB/m/1"), SessionOptions.DEFAULT)) {
      Prediction pa = a.predict(probe.pixels(), 8);
      Prediction pb = b.predict(probe.pixels(), 8);
      for (int i = 0; i < 8; i++) {
        assertArrayEquals(pa.logits()[i], pb.logits()[i], 1e-3f, "image " + i);
      }
    }
  }
}
