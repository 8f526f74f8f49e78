package org.ctnet.server.repository;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;
import java.util.stream.Stream;

/** What a model folder on disk holds: its version folders, its version labels, and a stamp that changes with its files. */
final class ModelFolders {
  private static final Logger LOG = Logger.getLogger(ModelFolders.class.getName());

  private ModelFolders() {}

  /** Changes when a file is added, removed, resized or rewritten anywhere in the folder. */
  static long folderStamp(Path dir) {
    try (Stream<Path> files = Files.walk(dir, 4)) {
      long stamp = 17;
      for (Path p : (Iterable<Path>) files::iterator) {
        stamp = stamp * 31 + p.toString().hashCode();
        if (Files.isRegularFile(p)) {
          stamp = stamp * 31 + Files.size(p);
          stamp = stamp * 31 + Files.getLastModifiedTime(p).toMillis();
        }
      }
      return stamp;
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0;
    }
  }

  static List<Long> listVersions(Path modelDir) {
    try (Stream<Path> children = Files.list(modelDir)) {
      return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9]{1,18}")).map(Long::parseLong).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  static Map<String, Long> readLabels(Path modelDir) {
    Path file = modelDir.resolve(ModelRepository.VERSION_LABELS_FILE);
    if (!Files.isRegularFile(file)) {
      return Map.of();
    }
    try {
      JsonNode node = new ObjectMapper().readTree(file.toFile());
      Map<String, Long> out = new TreeMap<>();
      node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
      return out;
    } catch (IOException e) {
      LOG.warning("ignoring unreadable " + file + ": " + e.getMessage());
      return Map.of();
    }
  }
}
