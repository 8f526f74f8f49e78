package org.ctnet.server.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.ctnet.server.ServerApp;
import org.ctnet.server.TestServers;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.observe.Metrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model folder changing under a serving repository: the newest version deleted, a half-copied
 * version (no variables), a truncated graph — serving continues from what is loadable, every acquire
 * succeeds, and the broken versions are reported with their reason.
 */
class ModelFolderFaultsTest {
  @TempDir Path dir;

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static long served(ModelRepository repository) {
    try (ModelRepository.Lease lease = repository.acquire("tiny", null, null)) {
      return lease.version().version();
    }
  }

  @Test
  void servingContinuesFromWhatIsLoadableWhateverHappensToTheFolder() throws Exception {
    Path base = TestServers.exportTiny(dir.resolve("models"), "tiny", 1, 1);
    copy(base.resolve("tiny/1"), base.resolve("tiny/2"));
    ServerSettings settings = ServerSettings.defaults(base).withPolling(0);
    try (ModelRepository repository = new ModelRepository(settings, new Metrics(), ServerApp.SESSION_OPTIONS)) {
      assertEquals(2, served(repository));

      // The newest version deleted while serving: the next refresh falls back to version 1.
      delete(base.resolve("tiny/2"));
      repository.refresh();
      assertEquals(1, served(repository), "the newest loadable version serves");

      // A half-copied version: the graph is there, the variables are not.
      Path half = base.resolve("tiny/3");
      Files.createDirectories(half);
      Files.copy(base.resolve("tiny/1/saved_model.pb"), half.resolve("saved_model.pb"));
      repository.refresh();
      assertEquals(1, served(repository), "a half-copied version is not served");
      assertTrue(!repository.status("tiny").get(3L).errorMessage().isEmpty(), repository.status("tiny").toString());

      // A truncated graph file.
      Path truncated = base.resolve("tiny/4");
      copy(base.resolve("tiny/1"), truncated);
      byte[] graph = Files.readAllBytes(truncated.resolve("saved_model.pb"));
      Files.write(truncated.resolve("saved_model.pb"), java.util.Arrays.copyOf(graph, graph.length / 3));
      repository.refresh();
      assertEquals(1, served(repository), "a truncated version is not served");
      assertTrue(!repository.status("tiny").get(4L).errorMessage().isEmpty(), repository.status("tiny").toString());
    }
  }
}
