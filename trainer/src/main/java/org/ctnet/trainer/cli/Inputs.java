package org.ctnet.trainer.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.ctnet.trainer.data.DatasetReader;
import org.ctnet.trainer.data.Sample;

/** Image files named on the command line: a file, a folder (recursive) or a manifest CSV. */
final class Inputs {
  private Inputs() {}

  static List<Path> list(Path input) throws IOException {
    if (!Files.exists(input)) {
      throw new IOException("input not found: " + input);
    }
    if (Files.isRegularFile(input) && input.getFileName().toString().toLowerCase().endsWith(".csv")) {
      return DatasetReader.read(input, null, null).samples().stream().map(Sample::path).toList();
    }
    if (Files.isRegularFile(input)) {
      return List.of(input);
    }
    try (Stream<Path> walk = Files.walk(input)) {
      return walk.filter(Files::isRegularFile).filter(p -> {
        String n = p.getFileName().toString().toLowerCase();
        int dot = n.lastIndexOf('.');
        return dot > 0 && DatasetReader.IMAGE_EXTENSIONS.contains(n.substring(dot + 1));
      }).sorted().toList();
    }
  }

  static String stem(Path p) {
    String n = p.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }
}
