package org.ctnet.trainer.workflow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.Sample;

/**
 * Nested, class-balanced draws of whole patients (groups) for a learning curve: one order of the
 * groups per repeat, classes alternating, so a budget of b patients is the first b of that order
 * and a larger budget of the same repeat contains every smaller one.
 */
public final class PatientDraws {
  private final Dataset data;
  private final Map<String, List<Sample>> groups = new LinkedHashMap<>();
  private final Map<String, List<String>> groupsByClass = new TreeMap<>();

  public PatientDraws(Dataset data) {
    this.data = data;
    for (Sample s : data.samples()) {
      groups.computeIfAbsent(s.group(), g -> new ArrayList<>()).add(s);
    }
    for (var e : groups.entrySet()) {
      Map<String, Integer> votes = new HashMap<>();
      e.getValue().forEach(s -> votes.merge(s.label(), 1, Integer::sum));
      String majority = Collections.max(votes.entrySet(), Map.Entry.comparingByValue()).getKey();
      groupsByClass.computeIfAbsent(majority, k -> new ArrayList<>()).add(e.getKey());
    }
  }

  public int groupCount() {
    return groups.size();
  }

  /** The groups in the order of one repeat: each class shuffled, then dealt in turn. */
  public List<String> order(long seed) {
    List<List<String>> perClass = new ArrayList<>();
    for (var e : groupsByClass.entrySet()) {
      List<String> g = new ArrayList<>(e.getValue());
      Collections.sort(g);
      Collections.shuffle(g, new Random(seed * 1_000_003L + e.getKey().hashCode()));
      perClass.add(g);
    }
    List<String> order = new ArrayList<>();
    for (int i = 0; order.size() < groups.size(); i++) {
      for (List<String> g : perClass) {
        if (i < g.size()) {
          order.add(g.get(i));
        }
      }
    }
    return order;
  }

  /** One draw: the training and validation samples of the first {@code patients} groups of a repeat. */
  public record Draw(Dataset train, Dataset validation, int patients) {}

  /**
   * The first {@code patients} groups of the repeat's order; the last {@code max(2, 20%)} of them
   * validate (early stopping, calibration, threshold), the rest train.
   */
  public Draw draw(int patients, long seed) {
    if (patients < 3) {
      throw new IllegalArgumentException("a budget needs at least 3 patients (training and validation), got " + patients);
    }
    List<String> chosen = order(seed).subList(0, Math.min(patients, groups.size()));
    int validationCount = Math.max(2, (int) Math.round(0.2 * chosen.size()));
    List<Sample> train = new ArrayList<>();
    List<Sample> validation = new ArrayList<>();
    for (int i = 0; i < chosen.size(); i++) {
      (i >= chosen.size() - validationCount ? validation : train).addAll(groups.get(chosen.get(i)));
    }
    return new Draw(data.subset(train), data.subset(validation), chosen.size());
  }
}
