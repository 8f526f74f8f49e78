package org.ctnet.server.config;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** TF Serving's model version policy: latest, all, or specific versions. */
public record VersionPolicy(String kind, Set<Long> specific) {
  public static VersionPolicy parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    if (t.equals("latest") || t.equals("all")) {
      return new VersionPolicy(t, Set.of());
    }
    if (t.startsWith("specific:")) {
      try {
        Set<Long> versions = new TreeSet<>();
        Arrays.stream(t.substring(9).split(",")).map(String::trim).map(Long::parseLong).forEach(versions::add);
        return new VersionPolicy("specific", versions);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("version policy specific: needs integers, got '" + text + "'");
      }
    }
    throw new IllegalArgumentException("version policy must be latest, all or specific:N[,M], got '" + text + "'");
  }

  /** The versions to serve out of those present (sorted ascending). */
  public List<Long> select(List<Long> present) {
    return switch (kind) {
      case "latest" -> present.isEmpty() ? List.of() : List.of(present.get(present.size() - 1));
      case "all" -> present;
      default -> present.stream().filter(specific::contains).toList();
    };
  }
}
