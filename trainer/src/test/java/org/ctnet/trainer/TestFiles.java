package org.ctnet.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** File helpers the CLI tests share. */
final class TestFiles {
  private TestFiles() {}

  /** Copies a model version (a folder tree) to {@code target}, creating its parents; returns {@code target}. */
  static Path copyTree(Path source, Path target) throws IOException {
    Files.createDirectories(target.getParent());
    try (var files = Files.walk(source)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.copy(p, target.resolve(source.relativize(p).toString()));
      }
    }
    return target;
  }
}
