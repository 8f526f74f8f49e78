package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.ctnet.graph.testing.DeployFiles;
import org.junit.jupiter.api.Test;

/**
 * The documentation's own links resolve (files, folders and #headings of Markdown files), and the README
 * stays a front door (at most 250 lines, the rest in docs/).
 */
class DocsLinksTest {
  private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
  private static final Pattern CODE = Pattern.compile("```.*?```", Pattern.DOTALL);

  private static List<Path> markdown(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(p -> p.toString().endsWith(".md"))
          .filter(p -> {
            String r = root.relativize(p).toString();
            return !r.startsWith("runs/") && !r.contains("/target/") && !r.startsWith("target/") && !r.startsWith(".")
                && !r.contains("node_modules");
          }).sorted().toList();
    }
  }

  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
  static Set<String> anchors(Path md) throws IOException {
    Set<String> out = new HashSet<>();
    String text = CODE.matcher(Files.readString(md)).replaceAll("");
    for (String line : text.split("\n")) {
      if (line.startsWith("#")) {
        String title = line.replaceFirst("^#+\\s*", "").strip().toLowerCase(Locale.ROOT);
        out.add(title.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
      }
    }
    return out;
  }

  @Test
  void everyRelativeLinkResolves() throws IOException {
    Path root = DeployFiles.root();
    List<String> broken = new ArrayList<>();
    List<Path> files = markdown(root);
    assertTrue(files.size() >= 10, files.toString());
    for (Path md : files) {
      String text = CODE.matcher(Files.readString(md)).replaceAll("");
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^(https?|mailto):.*")) {
          continue;
        }
        String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
        String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
        Path resolved = file.isEmpty() ? md : md.getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
          broken.add(root.relativize(md) + ": " + target + " (no such file)");
        } else if (anchor != null && resolved.toString().endsWith(".md") && !anchors(resolved).contains(anchor)) {
          broken.add(root.relativize(md) + ": " + target + " (no such heading)");
        }
      }
    }
    assertEquals(List.of(), broken);
  }

  @Test
  void theReadmeIsAFrontDoor() throws IOException {
    List<String> lines = Files.readAllLines(DeployFiles.root().resolve("README.md"));
    assertTrue(lines.size() <= 250, "README.md has " + lines.size() + " lines: move detail to docs/");
    String text = String.join("\n", lines);
    assertTrue(text.contains("./dev serve") && text.contains("./dev test"), "the two commands");
  }
}
