package org.ctnet.server.config;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * TF Serving's model version policy: the latest N versions (default 1), all, or specific versions.
 * Written as {@code latest}, {@code latest:N}, {@code all} or {@code specific:N[,M...]}.
 */
public record VersionPolicy(String kind, Set<Long> specific, int latest) {
  public VersionPolicy {
    if (kind.equals("latest") && latest < 1) {
      throw new IllegalArgumentException("version policy latest:N needs N >= 1, got " + latest);
    }
    specific = Set.copyOf(specific);
  }

  public static VersionPolicy latest(int versions) {
    return new VersionPolicy("latest", Set.of(), versions);
  }

  public static VersionPolicy all() {
    return new VersionPolicy("all", Set.of(), 0);
  }

  public static VersionPolicy specific(Set<Long> versions) {
    if (versions.isEmpty()) {
      throw new IllegalArgumentException("version policy specific needs at least one version");
    }
    return new VersionPolicy("specific", new TreeSet<>(versions), 0);
  }

  public static VersionPolicy parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (t.equals("latest")) {
        return latest(1);
      }
      if (t.startsWith("latest:")) {
        return latest(Integer.parseInt(t.substring(7).trim()));
      }
      if (t.equals("all")) {
        return all();
      }
      if (t.startsWith("specific:")) {
        Set<Long> versions = new TreeSet<>();
        Arrays.stream(t.substring(9).split(",")).map(String::trim).map(Long::parseLong).forEach(versions::add);
        return specific(versions);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("version policy needs integers, got '" + text + "'");
    }
    throw new IllegalArgumentException("version policy must be latest, latest:N, all or specific:N[,M], got '" + text + "'");
  }

  /** The versions to serve out of those present (sorted ascending). */
  public List<Long> select(List<Long> present) {
    return switch (kind) {
      case "latest" -> present.subList(Math.max(0, present.size() - latest), present.size());
      case "all" -> present;
      default -> present.stream().filter(specific::contains).toList();
    };
  }

  @Override
  public String toString() {
    return switch (kind) {
      case "latest" -> latest == 1 ? "latest" : "latest:" + latest;
      case "all" -> "all";
      default -> "specific:" + String.join(",", specific.stream().sorted().map(String::valueOf).toList());
    };
  }
}
