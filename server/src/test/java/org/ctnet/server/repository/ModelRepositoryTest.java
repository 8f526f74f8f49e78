package org.ctnet.server.repository;

import org.ctnet.server.TestServers;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.ServerApp;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.ctnet.graph.ModelNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken versions: refused with a clear status, the newest loadable one serves, retried when fixed. */
class ModelRepositoryTest {
  @TempDir Path dir;

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }

  @Test
  void aBrokenNewestVersionLeavesTheOlderServingAndIsRetriedOnceItsFolderChanges() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 1);
    Path good = base.resolve("tiny/1");
    Path broken = base.resolve("tiny/2");
    copy(good, broken);
    Path preprocessing = broken.resolve(ModelNames.ASSETS_DIR).resolve(ModelNames.ASSET_PREPROCESSING);
    String original = Files.readString(preprocessing);
    Files.writeString(preprocessing, "{}");
    Path decision = base.resolve("tiny/3");
    copy(good, decision);
    Files.writeString(decision.resolve(ModelNames.ASSETS_DIR).resolve(ModelNames.ASSET_DECISION), "{}");

    ServerSettings settings = ServerSettings.defaults(base).withPolling(0);
    try (ModelRepository repository = new ModelRepository(settings, new Metrics(), ServerApp.SESSION_OPTIONS)) {
      try (ModelRepository.Lease lease = repository.acquire("tiny", null, null)) {
        assertEquals(1, lease.version().version(), "latest falls back to the newest loadable version at cold start");
      }
      var status = repository.status("tiny");
      assertEquals("UNKNOWN", status.get(2L).errorCode());
      assertTrue(status.get(2L).errorMessage().contains("lacks its \"preprocessing\""), status.get(2L).errorMessage());
      assertTrue(status.get(3L).errorMessage().contains("threshold"), status.get(3L).errorMessage());

      Files.writeString(preprocessing, original); // e.g. the copy completes
      Files.delete(decision.resolve(ModelNames.ASSETS_DIR).resolve(ModelNames.ASSET_DECISION));
      Files.copy(good.resolve(ModelNames.ASSETS_DIR).resolve(ModelNames.ASSET_DECISION),
          decision.resolve(ModelNames.ASSETS_DIR).resolve(ModelNames.ASSET_DECISION));
      repository.refresh();
      try (ModelRepository.Lease lease = repository.acquire("tiny", null, null)) {
        assertEquals(3, lease.version().version(), "retried as soon as the folder changed, without waiting for the backoff");
      }
      assertEquals("AVAILABLE", repository.status("tiny").get(3L).state());
    }
  }
}
