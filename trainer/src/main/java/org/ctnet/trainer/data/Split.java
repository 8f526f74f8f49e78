package org.ctnet.trainer.data;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A train/validation/test split that keeps every group on one side and each class's share close
 * to the requested fractions. Reproducible: the same dataset, fractions and seed give the same
 * split.
 */
public record Split(Dataset train, Dataset validation, Dataset test) {
  public static final String TRAIN = "train";
  public static final String VALIDATION = "validation";
  public static final String TEST = "test";

  public static Split of(Dataset data, double validationFraction, double testFraction, long seed) {
    if (validationFraction < 0 || testFraction < 0 || validationFraction + testFraction >= 1) {
      throw new IllegalArgumentException("validation and test fractions must be >= 0 and sum to < 1, got "
          + validationFraction + " and " + testFraction);
    }
    List<List<Sample>> parts = assign(data, new double[] {1 - validationFraction - testFraction, validationFraction, testFraction}, seed);
    return new Split(data.subset(parts.get(0)), data.subset(parts.get(1)), data.subset(parts.get(2)));
  }

  /**
   * k folds of whole groups for cross-validation, each class's groups spread evenly over the
   * folds. Every class needs at least k groups, or some fold could not be scored for it.
   */
  public static List<Dataset> folds(Dataset data, int k, long seed) {
    if (k < 3) {
      throw new IllegalArgumentException("cross-validation needs at least 3 folds (test, validation, training), got " + k);
    }
    Map<String, List<String>> groupsByClass = groupsByClass(groupsOf(data));
    for (var e : groupsByClass.entrySet()) {
      if (e.getValue().size() < k) {
        throw new IllegalArgumentException("class '" + e.getKey() + "' has " + e.getValue().size() + " group(s), fewer than the "
            + k + " folds; use fewer folds");
      }
    }
    double[] fractions = new double[k];
    java.util.Arrays.fill(fractions, 1.0 / k);
    return assign(data, fractions, seed).stream().map(data::subset).toList();
  }

  private static Map<String, List<Sample>> groupsOf(Dataset data) {
    Map<String, List<Sample>> groups = new LinkedHashMap<>();
    for (Sample s : data.samples()) {
      groups.computeIfAbsent(s.group(), g -> new ArrayList<>()).add(s);
    }
    return groups;
  }

  /** Each group under its majority class (ties: the later class name). */
  private static Map<String, List<String>> groupsByClass(Map<String, List<Sample>> groups) {
    Map<String, List<String>> groupsByClass = new TreeMap<>();
    for (var e : groups.entrySet()) {
      Map<String, Integer> votes = new HashMap<>();
      e.getValue().forEach(s -> votes.merge(s.label(), 1, Integer::sum));
      String majority = Collections.max(votes.entrySet(), Map.Entry.<String, Integer>comparingByValue()
          .thenComparing(Map.Entry.comparingByKey(java.util.Comparator.reverseOrder()))).getKey();
      groupsByClass.computeIfAbsent(majority, k -> new ArrayList<>()).add(e.getKey());
    }
    return groupsByClass;
  }

  /**
   * Deals whole groups into parts of the given shares of images, class by class: groups shuffled
   * by the seed, each to the part furthest below its share.
   */
  private static List<List<Sample>> assign(Dataset data, double[] fractions, long seed) {
    Map<String, List<Sample>> groups = groupsOf(data);
    List<List<Sample>> subsets = new ArrayList<>();
    for (int k = 0; k < fractions.length; k++) {
      subsets.add(new ArrayList<>());
    }
    for (var e : groupsByClass(groups).entrySet()) {
      List<String> classGroups = new ArrayList<>(e.getValue());
      Collections.sort(classGroups);
      Collections.shuffle(classGroups, new Random(seed ^ e.getKey().hashCode()));
      int total = classGroups.stream().mapToInt(g -> groups.get(g).size()).sum();
      int[] assigned = new int[fractions.length];
      for (String g : classGroups) {
        int size = groups.get(g).size();
        int best = 0;
        double bestDeficit = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < fractions.length; k++) {
          if (fractions[k] <= 0) {
            continue;
          }
          double deficit = (fractions[k] * total - assigned[k]) / fractions[k];
          if (deficit > bestDeficit) {
            bestDeficit = deficit;
            best = k;
          }
        }
        assigned[best] += size;
        subsets.get(best).addAll(groups.get(g));
      }
    }
    return subsets;
  }

  /** Writes path,label,group,subset for inspection (and for reuse with --split-file). */
  public void write(Path csv) throws IOException {
    Files.createDirectories(csv.toAbsolutePath().getParent());
    try (Writer out = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
      out.write("path,label,group,subset\n");
      for (var part : List.of(Map.entry(TRAIN, train), Map.entry(VALIDATION, validation), Map.entry(TEST, test))) {
        for (Sample s : part.getValue().samples()) {
          out.write(Csv.row(s.path(), s.label(), s.group(), part.getKey()) + "\n");
        }
      }
    }
  }

  public String summary() {
    return String.format("train %d %s, validation %d %s, test %d %s",
        train.samples().size(), train.classCounts(), validation.samples().size(), validation.classCounts(),
        test.samples().size(), test.classCounts());
  }
}
