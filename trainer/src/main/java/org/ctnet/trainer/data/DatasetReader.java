package org.ctnet.trainer.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads a dataset from a folder with one sub-folder per class (the Keras
 * {@code image_dataset_from_directory} convention), from a {@code manifest.csv} (columns path,
 * label, and optionally a group column), or from a folder that contains a manifest.csv.
 */
public final class DatasetReader {
  /** Group columns tried in order when none is named. */
  public static final List<String> GROUP_COLUMNS =
      List.of("pseudo_scan_group", "group", "patient_id", "patient", "scan_id", "patient_or_source_id_if_known");
  /** Columns whose equal values must also stay together (pixel-identical duplicates). */
  public static final List<String> LINK_COLUMNS = List.of("exact_dup_group");
  public static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "dcm", "dicom");

  private DatasetReader() {}

  /**
   * @param location a class-folder root, a manifest CSV, or a folder holding manifest.csv
   * @param groupColumn manifest column with the scan/patient id, or null to pick one of
   *     {@link #GROUP_COLUMNS}
   * @param classOrder class names in logit order, or null for {@link Dataset#defaultClassOrder}
   */
  public static Dataset read(Path location, String groupColumn, List<String> classOrder) throws IOException {
    if (!Files.exists(location)) {
      throw new IOException("dataset not found: " + location);
    }
    Path manifest = Files.isDirectory(location) ? location.resolve("manifest.csv") : location;
    Dataset read = Files.isRegularFile(manifest) ? readManifest(manifest, groupColumn, classOrder)
        : readClassFolders(location, classOrder);
    String source = sourceName(location);
    return read.subset(read.samples().stream().map(s -> new Sample(s.path(), s.label(), s.group(), source)).toList());
  }

  /**
   * Several sources as one dataset: each sample keeps its source, groups are prefixed with it (so
   * two sources' "patient 1" stay apart), and the classes must agree.
   */
  public static Dataset readAll(List<Path> locations, String groupColumn, List<String> classOrder) throws IOException {
    if (locations.size() == 1) {
      return read(locations.get(0), groupColumn, classOrder);
    }
    List<Dataset> parts = new ArrayList<>();
    Set<String> labels = new LinkedHashSet<>();
    Set<String> names = new java.util.HashSet<>();
    for (Path location : locations) {
      Dataset d = read(location, groupColumn, classOrder);
      String name = sourceName(location);
      if (!names.add(name)) {
        throw new IOException("two --data sources are both named '" + name + "'; give them distinct folder names");
      }
      parts.add(d);
      labels.addAll(d.classes());
    }
    List<String> classes = order(labels, classOrder, locations.get(0));
    List<Sample> samples = new ArrayList<>();
    boolean grouped = true;
    for (Dataset d : parts) {
      grouped &= d.hasGroups();
      for (Sample s : d.samples()) {
        samples.add(new Sample(s.path(), s.label(), s.source() + "/" + s.group(), s.source()));
      }
    }
    return new Dataset(samples, classes, grouped,
        String.join(" + ", parts.stream().map(Dataset::source).toList()));
  }

  /** The folder name of a dataset (the folder holding manifest.csv for a manifest path). */
  static String sourceName(Path location) {
    Path p = location.toAbsolutePath().normalize();
    if (Files.isRegularFile(p)) {
      p = p.getParent();
    }
    return p.getFileName() == null ? p.toString() : p.getFileName().toString();
  }

  private static Dataset readClassFolders(Path root, List<String> classOrder) throws IOException {
    List<Sample> samples = new ArrayList<>();
    Set<String> labels = new LinkedHashSet<>();
    try (Stream<Path> classes = Files.list(root)) {
      for (Path dir : classes.filter(Files::isDirectory).sorted().toList()) {
        String label = dir.getFileName().toString();
        if (label.startsWith(".")) {
          continue;
        }
        try (Stream<Path> files = Files.walk(dir)) {
          List<Path> images = files.filter(Files::isRegularFile).filter(DatasetReader::isImage).sorted().toList();
          if (!images.isEmpty()) {
            labels.add(label);
          }
          for (Path image : images) {
            samples.add(new Sample(image, label, image.toString()));
          }
        }
      }
    }
    if (samples.isEmpty()) {
      throw new IOException("no images found in " + root + ": expected one sub-folder per class holding "
          + IMAGE_EXTENSIONS + " files, or a manifest.csv");
    }
    return new Dataset(samples, order(labels, classOrder, root), false, root.toString());
  }

  static boolean isImage(Path p) {
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    int dot = name.lastIndexOf('.');
    return dot > 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1));
  }

  private static List<String> order(Set<String> labels, List<String> classOrder, Path where) throws IOException {
    if (classOrder == null || classOrder.isEmpty()) {
      if (labels.size() < 2) {
        throw new IOException("dataset " + where + " has " + labels.size() + " class(es) " + labels + "; need at least 2");
      }
      return Dataset.defaultClassOrder(labels);
    }
    for (String l : labels) {
      if (!classOrder.contains(l)) {
        throw new IOException("dataset " + where + " has class '" + l + "' that is not in --classes " + classOrder);
      }
    }
    return classOrder;
  }

  private static Dataset readManifest(Path manifest, String groupColumn, List<String> classOrder) throws IOException {
    Path base = manifest.toAbsolutePath().getParent();
    List<String[]> all = Csv.read(manifest);
    if (all.isEmpty()) {
      throw new IOException("manifest " + manifest + " is empty");
    }
    String[] header = all.get(0);
    List<String[]> rows = new ArrayList<>();
    for (int r = 1; r < all.size(); r++) {
      if (all.get(r).length < 2) {
        throw new IOException("manifest " + manifest + " row " + r + ": expected at least path,label");
      }
      rows.add(all.get(r));
    }
    Map<String, Integer> col = new HashMap<>();
    for (int i = 0; i < header.length; i++) {
      col.put(header[i].strip().toLowerCase(Locale.ROOT), i);
    }
    Integer pathCol = col.containsKey("path") ? col.get("path") : col.get("filename");
    Integer labelCol = col.containsKey("label") ? col.get("label") : col.get("class");
    if (pathCol == null || labelCol == null) {
      throw new IOException("manifest " + manifest + " needs 'path' and 'label' columns, has " + List.of(header));
    }
    Integer groupCol = null;
    if (groupColumn != null) {
      groupCol = col.get(groupColumn.toLowerCase(Locale.ROOT));
      if (groupCol == null) {
        throw new IOException("manifest " + manifest + " has no column '" + groupColumn + "' (columns: " + List.of(header) + ")");
      }
    } else {
      for (String candidate : GROUP_COLUMNS) {
        Integer c = col.get(candidate);
        if (c != null && rows.stream().anyMatch(r -> c < r.length && !r[c].isBlank())) {
          groupCol = c;
          break;
        }
      }
    }
    Integer linkCol = null;
    for (String candidate : LINK_COLUMNS) {
      if (col.containsKey(candidate)) {
        linkCol = col.get(candidate);
      }
    }
    List<Sample> samples = new ArrayList<>();
    Set<String> labels = new LinkedHashSet<>();
    UnionFind groups = new UnionFind();
    List<String> rawGroups = new ArrayList<>();
    for (String[] r : rows) {
      Path p = base.resolve(r[pathCol].strip()).normalize();
      String label = r[labelCol].strip();
      if (label.isEmpty()) {
        throw new IOException("manifest " + manifest + ": empty label for " + r[pathCol]);
      }
      labels.add(label);
      String g = groupCol != null && groupCol < r.length && !r[groupCol].isBlank() ? "g:" + r[groupCol].strip() : "p:" + p;
      groups.add(g);
      if (linkCol != null && linkCol < r.length && !r[linkCol].isBlank()) {
        groups.union(g, "link:" + r[linkCol].strip());
      }
      rawGroups.add(g);
      samples.add(new Sample(p, label, g));
    }
    List<Sample> linked = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      Sample s = samples.get(i);
      linked.add(new Sample(s.path(), s.label(), groups.find(rawGroups.get(i))));
    }
    return new Dataset(linked, order(labels, classOrder, manifest), groupCol != null, manifest.toString());
  }

  /** Joins groups that must stay on one side of a split. */
  private static final class UnionFind {
    private final Map<String, String> parent = new HashMap<>();

    void add(String x) {
      parent.putIfAbsent(x, x);
    }

    String find(String x) {
      add(x);
      String root = x;
      while (!parent.get(root).equals(root)) {
        root = parent.get(root);
      }
      parent.put(x, root);
      return root;
    }

    void union(String a, String b) {
      String ra = find(a);
      String rb = find(b);
      if (!ra.equals(rb)) {
        // Keep the lexicographically smaller root so the result does not depend on row order.
        if (ra.compareTo(rb) < 0) {
          parent.put(rb, ra);
        } else {
          parent.put(ra, rb);
        }
      }
    }
  }
}
