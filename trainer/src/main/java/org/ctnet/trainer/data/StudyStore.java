package org.ctnet.trainer.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Studies with one label each (multiple-instance learning's bags): per study, the model inputs of
 * the slices the scan path judges a scan on (its lung slices). Slices are read on demand, from
 * memory (slices already held by an {@link ImageStore}) or from a per-study cache file written
 * once at loading, so a hospital's studies need not fit in memory.
 */
public final class StudyStore {
  /**
   * One study.
   *
   * @param name the study's name (folder name, StudyInstanceUID or group)
   * @param label class name
   * @param group patient (studies of one group never straddle a split); the name when unknown
   * @param source where it came from (for per-source figures)
   * @param sliceNames each slice's file, in series order
   */
  public record Study(String name, String label, String group, String source, List<String> sliceNames) {
    public Study {
      sliceNames = List.copyOf(sliceNames);
    }
  }

  /** Where one study's slices come from. */
  interface Slices {
    float[] read(int slice) throws IOException;
  }

  private final List<Study> studies;
  private final List<Slices> slices;
  private final List<String> classes;

  private StudyStore(List<Study> studies, List<Slices> slices, List<String> classes) {
    this.studies = List.copyOf(studies);
    this.slices = List.copyOf(slices);
    this.classes = List.copyOf(classes);
    for (Study s : studies) {
      if (!classes.contains(s.label())) {
        throw new IllegalArgumentException("study " + s.name() + " has label '" + s.label() + "', not one of " + classes);
      }
    }
  }

  /**
   * The groups of a slice-labelled store as studies (e.g. SARS-CoV-2 CT's pseudo-scans): a study
   * is positive when any of its slices is, as the scan-level figures count it; the slice labels go
   * no further.
   */
  public static StudyStore fromGroups(ImageStore store) {
    List<String> classes = store.dataset().classes();
    String positive = classes.get(classes.size() - 1);
    Map<String, List<Integer>> members = new LinkedHashMap<>();
    for (int i = 0; i < store.size(); i++) {
      members.computeIfAbsent(store.sample(i).group(), g -> new ArrayList<>()).add(i);
    }
    List<Study> studies = new ArrayList<>();
    List<Slices> slices = new ArrayList<>();
    for (var e : members.entrySet()) {
      List<Integer> idx = e.getValue();
      boolean anyPositive = idx.stream().anyMatch(i -> store.sample(i).label().equals(positive));
      Sample first = store.sample(idx.get(0));
      studies.add(new Study(e.getKey(), anyPositive ? positive : classes.get(0), e.getKey(), first.source(),
          idx.stream().map(i -> store.sample(i).path().toString()).toList()));
      slices.add(slice -> store.pixels(idx.get(slice)));
    }
    return new StudyStore(studies, slices, classes);
  }

  /** A study decoded at loading, its slices written to {@code cacheFile} (float32, little-endian, one after another). */
  public record Cached(Study study, Path cacheFile, int pixels) {}

  /** Studies whose slices were written to cache files by the loader. */
  public static StudyStore cached(List<Cached> cached, List<String> classes) {
    List<Study> studies = new ArrayList<>();
    List<Slices> slices = new ArrayList<>();
    for (Cached c : cached) {
      studies.add(c.study());
      slices.add(slice -> readSlice(c.cacheFile(), slice, c.pixels()));
    }
    return new StudyStore(studies, slices, classes);
  }

  /** Writes one study's slices as a cache file {@link #cached} reads. */
  public static void writeCache(Path file, List<float[]> inputs) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      for (float[] input : inputs) {
        ByteBuffer buffer = ByteBuffer.allocate(input.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(input);
        while (buffer.hasRemaining()) {
          ch.write(buffer);
        }
      }
    }
    Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static float[] readSlice(Path file, int slice, int pixels) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(pixels * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long position = (long) slice * pixels * Float.BYTES;
      while (buffer.hasRemaining()) {
        if (ch.read(buffer, position + buffer.position()) < 0) {
          throw new IOException("study cache " + file + " ends before slice " + slice);
        }
      }
    }
    float[] out = new float[pixels];
    buffer.flip();
    buffer.asFloatBuffer().get(out);
    return out;
  }

  public int size() {
    return studies.size();
  }

  public Study study(int i) {
    return studies.get(i);
  }

  public List<Study> studies() {
    return studies;
  }

  public List<String> classes() {
    return classes;
  }

  /** The study's class index. */
  public int label(int i) {
    return classes.indexOf(studies.get(i).label());
  }

  /** 1 for the positive (last) class, else 0, per study. */
  public int[] binaryLabels() {
    int positive = classes.size() - 1;
    return java.util.stream.IntStream.range(0, size()).map(i -> label(i) == positive ? 1 : 0).toArray();
  }

  public int sliceCount(int i) {
    return studies.get(i).sliceNames().size();
  }

  /** Slice {@code slice} of study {@code study} as model input. */
  public float[] slice(int study, int slice) {
    try {
      return slices.get(study).read(slice);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read slice " + slice + " of study " + studies.get(study).name(), e);
    }
  }

  /** The studies named, in this store's order. */
  public StudyStore subset(Collection<String> names) {
    Set<String> wanted = new HashSet<>(names);
    List<Study> kept = new ArrayList<>();
    List<Slices> keptSlices = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      if (wanted.contains(studies.get(i).name())) {
        kept.add(studies.get(i));
        keptSlices.add(slices.get(i));
      }
    }
    return new StudyStore(kept, keptSlices, classes);
  }

  /** Studies per class, e.g. {@code {covid=43, non-covid=78}}. */
  public Map<String, Integer> classCounts() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    classes.forEach(c -> counts.put(c, 0));
    studies.forEach(s -> counts.merge(s.label(), 1, Integer::sum));
    return counts;
  }

  /** Total slices over all studies. */
  public int totalSlices() {
    return studies.stream().mapToInt(s -> s.sliceNames().size()).sum();
  }

  /** Train, validation and test studies; a patient's studies stay on one side. */
  public record Parts(StudyStore train, StudyStore validation, StudyStore test) {
    public String summary() {
      return String.format("train %d studies %s, validation %d %s, test %d %s", train.size(), train.classCounts(),
          validation.size(), validation.classCounts(), test.size(), test.classCounts());
    }
  }

  /** Split by group (patient) the way {@link Split#of} splits images, one study standing for itself. */
  public Parts split(double validationFraction, double testFraction, long seed) {
    Split split = Split.of(asDataset(), validationFraction, testFraction, seed);
    return new Parts(subset(split.train()), subset(split.validation()), subset(split.test()));
  }

  /**
   * These studies as a dataset of one sample per study (its path the study's name, its group the
   * patient), so the image splitters and patient draws work on studies unchanged.
   */
  public Dataset asDataset() {
    List<Sample> samples = studies.stream().map(s -> new Sample(Path.of(key(s.name())), s.label(), s.group(),
        s.source())).toList();
    return new Dataset(samples, classes, true, "studies");
  }

  /** The studies of a dataset made by {@link #asDataset()} (or a part of it). */
  public StudyStore subset(Dataset part) {
    Map<String, String> byKey = new LinkedHashMap<>();
    studies.forEach(s -> byKey.put(key(s.name()), s.name()));
    return subset(part.samples().stream().map(x -> byKey.get(x.path().toString())).toList());
  }

  /** A study's name as a one-element path (UIDs and folder names hold no separator; a slash would). */
  private static String key(String name) {
    return name.replace('/', '_').replace('\\', '_');
  }
}
