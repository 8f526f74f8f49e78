package org.ctnet.trainer.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A list of samples with its class names in logit order (the last is the positive class) and
 * whether the groups came from the data (true) or are one group per image (false).
 */
public record Dataset(List<Sample> samples, List<String> classes, boolean hasGroups, String source) {
  public Dataset {
    samples = List.copyOf(samples);
    classes = List.copyOf(classes);
    for (Sample s : samples) {
      if (!classes.contains(s.label())) {
        throw new IllegalArgumentException("sample " + s.path() + " has label '" + s.label() + "' not in " + classes);
      }
    }
  }

  public int classIndex(String label) {
    int i = classes.indexOf(label);
    if (i < 0) {
      throw new IllegalArgumentException("unknown class '" + label + "', expected one of " + classes);
    }
    return i;
  }

  public int[] labels() {
    return samples.stream().mapToInt(s -> classIndex(s.label())).toArray();
  }

  public Map<String, Integer> classCounts() {
    Map<String, Integer> counts = new TreeMap<>();
    samples.forEach(s -> counts.merge(s.label(), 1, Integer::sum));
    return counts;
  }

  public Dataset subset(List<Sample> subset) {
    return new Dataset(subset, classes, hasGroups, source);
  }

  /**
   * Default class order for a set of label names: a negative/positive pair such as
   * non-covid/covid, normal/abnormal puts the negative first; otherwise alphabetical.
   */
  public static List<String> defaultClassOrder(java.util.Collection<String> names) {
    List<String> sorted = new ArrayList<>(names);
    sorted.sort(Comparator.naturalOrder());
    if (sorted.size() == 2) {
      String a = sorted.get(0);
      String b = sorted.get(1);
      if (isNegativeOf(b, a)) {
        return List.of(b, a);
      }
      if (isNegativeOf(a, b)) {
        return List.of(a, b);
      }
    }
    return sorted;
  }

  private static boolean isNegativeOf(String candidate, String positive) {
    String c = candidate.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    String p = positive.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    return c.equals("non" + p) || c.equals("not" + p) || c.equals("no" + p) || c.equals("normal")
        || c.equals("negative") || c.equals("healthy");
  }
}
