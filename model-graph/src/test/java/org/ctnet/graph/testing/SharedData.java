package org.ctnet.graph.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The datasets in {@code ../shared/data} beside the checkout (or under {@code $CTNET_SHARED_DATA}).
 * They are not part of the repository: tests that need them skip, saying so, where they are absent.
 */
public final class SharedData {
  private SharedData() {}

  /** The folder of a dataset, or a skipped test when it cannot be found. */
  public static Path require(String dataset) {
    Path found = locate(dataset);
    assumeTrue(found != null, () -> "skipped: dataset " + dataset + " not found in ../shared/data beside the "
        + "checkout (or $CTNET_SHARED_DATA); these figures need the shared data");
    return found;
  }

  private static Path locate(String dataset) {
    String env = System.getenv("CTNET_SHARED_DATA");
    if (env != null && Files.isDirectory(Path.of(env, dataset))) {
      return Path.of(env, dataset);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("data").resolve(dataset);
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
