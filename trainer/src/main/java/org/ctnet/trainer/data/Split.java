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
    Map<String, List<Sample>> groups = new LinkedHashMap<>();
    for (Sample s : data.samples()) {
      groups.computeIfAbsent(s.group(), g -> new ArrayList<>()).add(s);
    }
    // Each group is assigned with its majority class; groups are shuffled per class by the seed.
    Map<String, List<String>> groupsByClass = new TreeMap<>();
    for (var e : groups.entrySet()) {
      Map<String, Integer> votes = new HashMap<>();
      e.getValue().forEach(s -> votes.merge(s.label(), 1, Integer::sum));
      String majority = Collections.max(votes.entrySet(), Map.Entry.<String, Integer>comparingByValue()
          .thenComparing(Map.Entry.comparingByKey(java.util.Comparator.reverseOrder()))).getKey();
      groupsByClass.computeIfAbsent(majority, k -> new ArrayList<>()).add(e.getKey());
    }
    double[] fractions = {1 - validationFraction - testFraction, validationFraction, testFraction};
    List<List<Sample>> subsets = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    for (var e : groupsByClass.entrySet()) {
      List<String> classGroups = new ArrayList<>(e.getValue());
      Collections.sort(classGroups);
      Collections.shuffle(classGroups, new Random(seed ^ e.getKey().hashCode()));
      int total = classGroups.stream().mapToInt(g -> groups.get(g).size()).sum();
      int[] assigned = new int[3];
      for (String g : classGroups) {
        int size = groups.get(g).size();
        int best = 0;
        double bestDeficit = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < 3; k++) {
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
    return new Split(data.subset(subsets.get(0)), data.subset(subsets.get(1)), data.subset(subsets.get(2)));
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
