package org.ctnet.server.repository;

import org.ctnet.server.TestServers;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.ServerApp;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.SessionOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The warm-up runs every signature at every batch size the scheduler forms, and a served version answers after it. */
class WarmUpTest {
  @TempDir Path dir;

  @Test
  void everySignatureAtEveryBatchSize() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 1);
    try (LoadedModel session = LoadedModel.load(base.resolve("tiny/1"), SessionOptions.DEFAULT)) {
      WarmUp.Report report = WarmUp.run(session, 5);
      assertEquals(3 * 5, report.runs(), "serving_default, serving_bytes and explain at batch 1..5");
      System.out.println("warm-up of the tiny model: " + report);
      assertEquals(7, session.predict(new float[32 * 32 * 7], 7).probabilities().length, "a batch larger than the warm-up still runs");
      WarmUp.Report withFile = WarmUp.run(session, 2, base.resolve("tiny/1"));
      assertEquals(3 * 2 + org.ctnet.graph.export.WarmupRequests.read(base.resolve("tiny/1").resolve(
          org.ctnet.graph.export.WarmupRequests.FILE)).size(), withFile.runs(), "and the export's TF Serving warm-up requests");
    }
  }

  @Test
  void aWarmupRequestForAnotherSignatureFailsTheLoadWithTheReason() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 1);
    Path file = base.resolve("tiny/1").resolve(org.ctnet.graph.export.WarmupRequests.FILE);
    org.ctnet.graph.export.WarmupRequests.write(file, java.util.List.of(new org.ctnet.graph.export.WarmupRequests.Request(
        "tiny", "train_step", java.util.Map.of())));
    try (ModelRepository repository = new ModelRepository(ServerSettings.defaults(base).withPolling(0), new Metrics(),
        ServerApp.SESSION_OPTIONS)) {
      assertFalse(repository.ready());
      String status = repository.status("tiny").toString();
      assertTrue(status.contains("train_step") && status.contains("END"), status);
    }
  }
}
