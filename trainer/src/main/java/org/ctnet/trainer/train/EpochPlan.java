package org.ctnet.trainer.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.ctnet.trainer.data.ImageStore;

/**
 * One epoch's entries in four ranges: own slices [0, ownEnd) (every image once, then its other
 * copies and source repeats), rehearsed [ownEnd, rehearsedEnd), study bags [rehearsedEnd,
 * bagEnd) (every study once per copy), lesion-guided [bagEnd, total); shuffled and cut into
 * batches of about {@code batchSize} images (a bag's slices stay in one batch).
 */
public record EpochPlan(int[] ownImage, int[] rehearsalPick, int[] lesionPick, StudyLearning.Selection[] selections,
    int ownEnd, int rehearsedEnd, int bagEnd, List<List<Integer>> batches, int images) {
  int size(int entry) {
    return entry >= rehearsedEnd && entry < bagEnd ? selections[(entry - rehearsedEnd) % selections.length].size() : 1;
  }

  static EpochPlan of(TrainConfig config, Trainer.Sets sets, int epoch, StudyLearning.Selection[] selections) {
    int copies = config.augmentation().copies();
    int slices = sets.slices() == null ? 0 : sets.slices().size();
    int[] repeats = config.balanceSources() && slices > 0 ? sourceRepeats(sets.slices()) : null;
    int[] ownImage = ownEntries(slices, copies, repeats);
    int bagEntries = selections.length * copies;
    int bagImages = 0;
    for (StudyLearning.Selection s : selections) {
      bagImages += s.size() * copies;
    }
    int own = ownImage.length;
    int rehearsed = config.referenceMix() > 0
        ? (int) Math.round((own + bagImages) * config.referenceMix() / (1 - config.referenceMix())) : 0;
    LesionGuidance guidance = config.lesion();
    int guided = guidance.on()
        ? (int) Math.round((own + bagImages + rehearsed) * guidance.mix() / (1 - guidance.mix())) : 0;
    int rehearsedEnd = own + rehearsed;
    int bagEnd = rehearsedEnd + bagEntries;
    int total = bagEnd + guided;
    // Orders and draws come from (seed, epoch) alone: a resumed run repeats them.
    int[] order = permutation(total, new Random(config.seed() * 1_000_003L + epoch));
    Random picks = new Random(config.seed() * 7_919L + epoch);
    int[] rehearsalPick = new int[rehearsed];
    for (int i = 0; i < rehearsed; i++) {
      rehearsalPick[i] = picks.nextInt(sets.rehearsal().size());
    }
    Random lesionPicks = new Random(config.seed() * 104_729L + epoch);
    int[] lesionPick = new int[guided];
    for (int i = 0; i < guided; i++) {
      lesionPick[i] = sets.lesions().draw(lesionPicks);
    }
    EpochPlan sized = new EpochPlan(ownImage, rehearsalPick, lesionPick, selections, own, rehearsedEnd, bagEnd,
        List.of(), 0);
    List<List<Integer>> batches = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    int inCurrent = 0;
    for (int entry : order) {
      int size = sized.size(entry);
      if (!current.isEmpty() && inCurrent + size > config.batchSize()) {
        batches.add(current);
        current = new ArrayList<>();
        inCurrent = 0;
      }
      current.add(entry);
      inCurrent += size;
    }
    if (!current.isEmpty()) {
      batches.add(current);
    }
    return new EpochPlan(ownImage, rehearsalPick, lesionPick, selections, own, rehearsedEnd, bagEnd, batches,
        own + rehearsed + bagImages + guided);
  }

  /** Image of each of an epoch's own entries: every image once, then the other copies and source repeats. */
  public static int[] ownEntries(int images, int copies, int[] repeats) {
    List<Integer> entries = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      entries.add(i);
    }
    for (int i = 0; i < images; i++) {
      int times = copies * (repeats == null ? 1 : repeats[i]) - 1;
      for (int t = 0; t < times; t++) {
        entries.add(i);
      }
    }
    return entries.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Per image, how many times its source is repeated so that every source contributes at least
   * half as many images as the largest one (a small hospital is not drowned by a large one).
   */
  public static int[] sourceRepeats(ImageStore train) {
    java.util.Map<String, Integer> counts = new java.util.HashMap<>();
    for (int i = 0; i < train.size(); i++) {
      counts.merge(train.sample(i).source(), 1, Integer::sum);
    }
    int largest = counts.values().stream().mapToInt(Integer::intValue).max().orElse(1);
    int[] repeats = new int[train.size()];
    for (int i = 0; i < train.size(); i++) {
      repeats[i] = Math.max(1, largest / (2 * counts.get(train.sample(i).source())));
    }
    return repeats;
  }

  static int[] permutation(int n, Random random) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
