package org.ctnet.trainer.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.ctnet.dicom.DicomFormatException;
import org.ctnet.dicom.DicomReader;

/**
 * Which files make which study, with which label: a folder of studies and a CSV
 * {@code study,label[,group]} (study = a sub-folder's name, a StudyInstanceUID or a
 * SeriesInstanceUID found under the folder), or one folder per class holding one folder per study.
 * Every problem is named, not thrown: a label that is not a class, a study listed twice, a study
 * that cannot be found; folders the CSV does not list are counted apart (they are not errors).
 */
public final class StudyListing {
  /** Files (and folders) that never belong to a study's slices. */
  private static final List<String> NOTES = List.of(".csv", ".md", ".txt", ".json", ".partial");

  /** One labelled study and its files. */
  public record Entry(String name, String label, String group, List<Path> files) {
    public Entry {
      files = List.copyOf(files);
    }
  }

  /** A study that cannot be used, and why. */
  public record Problem(String study, String reason) {
    @Override
    public String toString() {
      return study + ": " + reason;
    }
  }

  /**
   * @param unlisted sub-folders of the studies folder the labels file does not name
   */
  public record Listing(List<Entry> studies, List<Problem> problems, List<String> unlisted) {}

  private StudyListing() {}

  /**
   * @param labelsCsv the labels file, or null for one folder per class
   * @param classes the model's class names (labels must be one of them, case-insensitive)
   */
  public static Listing read(Path root, Path labelsCsv, List<String> classes) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IOException("--studies must be a folder (or zip) of studies, got " + root
          + (Files.isRegularFile(root) ? " (a file that is not a zip)" : " (not found)"));
    }
    return labelsCsv == null ? byClassFolder(root, classes) : byLabelsFile(root, labelsCsv, classes);
  }

  private static Listing byClassFolder(Path root, List<String> classes) throws IOException {
    List<Entry> studies = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    for (Path classDir : subfolders(root)) {
      String name = classDir.getFileName().toString();
      String label = classOf(name, classes);
      if (label == null) {
        problems.add(new Problem(name, "folder '" + name + "' is not a class (" + String.join(", ", classes)
            + "); without --labels the studies folder holds one folder per class"));
        continue;
      }
      for (Path study : subfolders(classDir)) {
        String studyName = study.getFileName().toString();
        List<Path> files = files(study);
        if (files.isEmpty()) {
          problems.add(new Problem(studyName, "folder " + study + " holds no files"));
        } else {
          studies.add(new Entry(studyName, label, studyName, files));
        }
      }
    }
    duplicates(studies, problems);
    return new Listing(studies, problems, List.of());
  }

  private static Listing byLabelsFile(Path root, Path csv, List<String> classes) throws IOException {
    if (!Files.isRegularFile(csv)) {
      throw new IOException("labels file not found: " + csv);
    }
    List<String[]> rows = Csv.read(csv);
    if (rows.isEmpty()) {
      throw new IOException("labels file " + csv + " is empty");
    }
    List<String> header = java.util.Arrays.stream(rows.get(0)).map(h -> h.strip().toLowerCase(Locale.ROOT)).toList();
    int studyColumn = header.indexOf("study");
    int labelColumn = header.indexOf("label");
    int groupColumn = header.indexOf("group");
    if (studyColumn < 0 || labelColumn < 0) {
      throw new IOException("labels file " + csv + " needs the columns study,label[,group]; its header is " + header);
    }
    Map<String, Path> folders = new LinkedHashMap<>();
    for (Path p : subfolders(root)) {
      folders.put(p.getFileName().toString(), p);
    }
    UidIndex uids = null;
    List<Entry> studies = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    Map<String, Integer> firstRow = new HashMap<>();
    for (int r = 1; r < rows.size(); r++) {
      String[] row = rows.get(r);
      String where = csv.getFileName() + " row " + (r + 1);
      if (row.length <= Math.max(studyColumn, labelColumn)) {
        problems.add(new Problem(where, "has " + row.length + " fields, the header " + header.size()));
        continue;
      }
      String key = row[studyColumn].strip();
      String rawLabel = row[labelColumn].strip();
      if (key.isEmpty()) {
        problems.add(new Problem(where, "no study named"));
        continue;
      }
      Integer earlier = firstRow.putIfAbsent(key, r + 1);
      if (earlier != null) {
        problems.add(new Problem(key, "listed twice in " + csv.getFileName() + " (rows " + earlier + " and " + (r + 1) + ")"));
        continue;
      }
      String label = classOf(rawLabel, classes);
      if (label == null) {
        problems.add(new Problem(key, "label '" + rawLabel + "' (" + where + ") is not a class of the model ("
            + String.join(", ", classes) + ")"));
        continue;
      }
      String group = groupColumn >= 0 && groupColumn < row.length && !row[groupColumn].isBlank()
          ? row[groupColumn].strip() : key;
      List<Path> files;
      if (folders.containsKey(key)) {
        files = files(folders.get(key));
      } else {
        if (uids == null) {
          uids = UidIndex.of(root);
        }
        files = uids.files(key);
        if (files.isEmpty()) {
          problems.add(new Problem(key, "not found under " + root + ": no folder of that name, and no DICOM file with "
              + "that StudyInstanceUID or SeriesInstanceUID"));
          continue;
        }
      }
      if (files.isEmpty()) {
        problems.add(new Problem(key, "folder " + folders.get(key) + " holds no files"));
        continue;
      }
      studies.add(new Entry(key, label, group, files));
    }
    List<String> unlisted = folders.keySet().stream().filter(f -> !firstRow.containsKey(f)).toList();
    return new Listing(studies, problems, unlisted);
  }

  /** Two entries sharing a name (one study folder under two class folders). */
  private static void duplicates(List<Entry> studies, List<Problem> problems) {
    Map<String, Entry> seen = new HashMap<>();
    List<Entry> twice = new ArrayList<>();
    for (Entry e : studies) {
      Entry earlier = seen.putIfAbsent(e.name(), e);
      if (earlier != null) {
        problems.add(new Problem(e.name(), "appears twice (labels '" + earlier.label() + "' and '" + e.label() + "')"));
        twice.add(e);
        twice.add(earlier);
      }
    }
    studies.removeAll(twice);
  }

  /** The class a label names (case-insensitive), or null. */
  static String classOf(String label, List<String> classes) {
    for (String c : classes) {
      if (c.equalsIgnoreCase(label)) {
        return c;
      }
    }
    return null;
  }

  private static List<Path> subfolders(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    }
  }

  /** The files of a study folder, at any depth, in name order; hidden files and notes left out. */
  static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).filter(StudyListing::isSliceFile).sorted().toList();
    }
  }

  private static boolean isSliceFile(Path p) {
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return !name.startsWith(".") && NOTES.stream().noneMatch(name::endsWith);
  }

  /** The DICOM files under a folder by StudyInstanceUID and by SeriesInstanceUID (headers only). */
  private record UidIndex(Map<String, List<Path>> byUid) {
    static UidIndex of(Path root) throws IOException {
      Map<String, List<Path>> byUid = new HashMap<>();
      for (Path f : StudyListing.files(root)) {
        byte[] data = Files.readAllBytes(f);
        if (!DicomReader.looksLikeDicom(data)) {
          continue;
        }
        try {
          var attributes = DicomReader.header(data).attributes();
          byUid.computeIfAbsent(attributes.studyUid(), k -> new ArrayList<>()).add(f);
          byUid.computeIfAbsent(attributes.seriesUid(), k -> new ArrayList<>()).add(f);
        } catch (DicomFormatException e) {
          // not a readable DICOM file: it belongs to no UID
        }
      }
      return new UidIndex(byUid);
    }

    List<Path> files(String uid) {
      return byUid.getOrDefault(uid, List.of());
    }
  }
}
