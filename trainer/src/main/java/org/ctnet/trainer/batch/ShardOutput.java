package org.ctnet.trainer.batch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A batch output written under a staging name and renamed into place when complete, so a merge (or a
 * person) never reads a half-written shard, and a restarted pod can tell "done" from "started":
 * {@code predictions-3.csv} is written as {@code predictions-3.partial.csv}.
 */
public final class ShardOutput {
  public static final String PARTIAL = ".partial";

  private ShardOutput() {}

  /** The staging name of {@code output}: the same folder, {@code .partial} before the extension. */
  public static Path staging(Path output) {
    String name = output.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String staged = dot > 0 ? name.substring(0, dot) + PARTIAL + name.substring(dot) : name + PARTIAL;
    return output.resolveSibling(staged);
  }

  public static boolean isStaging(Path file) {
    return file.getFileName().toString().contains(PARTIAL + ".") || file.getFileName().toString().endsWith(PARTIAL);
  }

  /** Moves the finished staging file into place in one step. */
  public static void publish(Path output) throws IOException {
    Files.move(staging(output), output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
