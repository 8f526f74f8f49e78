package org.ctnet.trainer.batch;

import java.util.ArrayList;
import java.util.List;

/**
 * One part of a batch split into {@code count} parts: item {@code i} of a sorted list belongs to
 * shard {@code i mod count}. Every item lands in exactly one shard, shards differ in size by at most
 * one, and the assignment depends only on the sorted list (a Kubernetes indexed Job's pods agree on
 * it without talking to each other).
 *
 * @param index this shard, 0-based (a Job's completion index)
 * @param count how many shards the batch is split into
 */
public record Shard(int index, int count) {
  public static final Shard WHOLE = new Shard(0, 1);

  public Shard {
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("a shard is INDEX/COUNT with 0 <= INDEX < COUNT, got " + index + "/" + count);
    }
  }

  /** Parses {@code INDEX/COUNT}, e.g. {@code 3/8}. */
  public static Shard parse(String text) {
    String[] parts = text.strip().split("/", -1);
    try {
      if (parts.length == 2) {
        return new Shard(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("a shard is INDEX/COUNT (e.g. 3/8), got '" + text + "'");
  }

  /** This shard's items, in their order. */
  public <T> List<T> select(List<T> sorted) {
    List<T> mine = new ArrayList<>();
    for (int i = index; i < sorted.size(); i += count) {
      mine.add(sorted.get(i));
    }
    return mine;
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }
}
