package org.ctnet.trainer.data;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.scan.DecodedSeries;
import org.ctnet.graph.scan.Series;
import org.ctnet.graph.scan.SeriesAssembler;

/**
 * Decodes listed studies into model inputs the way the scan path does, one study at a time (memory
 * holds one study's files): DICOM series assembled (non-CT and non-axial files left out with their
 * reason), the series with the most lung slices chosen (the others named), its lung slices kept;
 * a folder of PNG/JPEG slices keeps every slice that decodes (no HU, so no lung finding). Each
 * study's inputs go to a cache file; a later run with the same cache folder reuses them.
 */
public final class StudyLoader {
  private static final String MANIFEST = "manifest.json";
  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** What loading found: the usable studies, the ones that are not, and what was left out of the usable ones. */
  public record Loaded(StudyStore store, List<StudyListing.Problem> problems, List<String> notes) {}

  /** One cached study, as the manifest keeps it. */
  record CacheEntry(String name, String label, String group, String file, long inputBytes, int pixels,
      List<String> sliceNames, String note) {}

  private StudyLoader() {}

  /**
   * @param source what the studies are called in reports (e.g. the folder)
   * @param cacheDir where the model inputs are cached (e.g. the run's {@code studies/})
   */
  public static Loaded load(List<StudyListing.Entry> entries, Preprocessing preprocessing, int inputPixels,
      List<String> classes, String source, Path cacheDir, PrintWriter out) throws IOException {
    Files.createDirectories(cacheDir);
    Map<String, CacheEntry> manifest = readManifest(cacheDir);
    List<StudyStore.Cached> cached = new ArrayList<>();
    List<StudyListing.Problem> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    int done = 0;
    for (StudyListing.Entry entry : entries) {
      done++;
      long bytes = totalBytes(entry.files());
      CacheEntry hit = manifest.get(entry.name());
      if (hit != null && hit.inputBytes() == bytes && hit.pixels() == inputPixels && hit.label().equals(entry.label())
          && hit.group().equals(entry.group()) && Files.isRegularFile(cacheDir.resolve(hit.file()))) {
        cached.add(toCached(hit, source, cacheDir));
        if (hit.note() != null) {
          notes.add(entry.name() + ": " + hit.note());
        }
        continue;
      }
      Decoded decoded = decode(entry, preprocessing);
      if (decoded.inputs().isEmpty()) {
        problems.add(new StudyListing.Problem(entry.name(), decoded.why()));
        continue;
      }
      Path target = uniqueFile(cacheDir, manifest);
      StudyStore.writeCache(target, decoded.inputs());
      CacheEntry written = new CacheEntry(entry.name(), entry.label(), entry.group(), target.getFileName().toString(),
          bytes, inputPixels, decoded.sliceNames(), decoded.why());
      manifest.put(entry.name(), written);
      writeManifest(cacheDir, manifest);
      cached.add(toCached(written, source, cacheDir));
      if (decoded.why() != null) {
        notes.add(entry.name() + ": " + decoded.why());
      }
      out.printf("studies: %d/%d decoded (%s: %d slices)%n", done, entries.size(), entry.name(), decoded.inputs().size());
      out.flush();
    }
    return new Loaded(StudyStore.cached(cached, classes), problems, notes);
  }

  /** A study's inputs, or none and why; {@code why} is also a note on a usable study (series left out). */
  private record Decoded(List<float[]> inputs, List<String> sliceNames, String why) {}

  private static Decoded decode(StudyListing.Entry entry, Preprocessing preprocessing) throws IOException {
    List<SeriesAssembler.Input> dicom = new ArrayList<>();
    List<SeriesAssembler.Input> images = new ArrayList<>();
    for (Path f : entry.files()) {
      byte[] data = Files.readAllBytes(f);
      (DicomReader.looksLikeDicom(data) ? dicom : images).add(new SeriesAssembler.Input(f.toString(), data));
    }
    return dicom.isEmpty() ? decodeImages(images, preprocessing) : decodeDicom(dicom, preprocessing);
  }

  private static Decoded decodeDicom(List<SeriesAssembler.Input> files, Preprocessing preprocessing) {
    SeriesAssembler.Assembly assembly = SeriesAssembler.assemble(files, ImageLimits.MAX_PIXELS);
    if (assembly.series().isEmpty()) {
      return new Decoded(List.of(), List.of(), "no usable CT series (" + files.size() + " DICOM files: "
          + summary(assembly.skipped()) + ")");
    }
    DecodedSeries best = null;
    Series bestSeries = null;
    int bestLung = -1;
    List<String> others = new ArrayList<>();
    for (Series series : assembly.series()) {
      List<SeriesAssembler.Skipped> unreadable = new ArrayList<>();
      DecodedSeries decoded = DecodedSeries.decode(series, preprocessing, ImageLimits.MAX_PIXELS, unreadable);
      int lung = 0;
      for (boolean b : decoded.lung()) {
        lung += b ? 1 : 0;
      }
      if (decoded.size() > 0 && (lung > bestLung || (lung == bestLung && decoded.size() > best.size()))) {
        if (bestSeries != null) {
          others.add(bestSeries.seriesUid());
        }
        best = decoded;
        bestSeries = series;
        bestLung = lung;
      } else {
        others.add(series.seriesUid() + (decoded.size() == 0 ? " (no slice decodes)" : ""));
      }
    }
    if (best == null) {
      return new Decoded(List.of(), List.of(), "no slice of its " + assembly.series().size() + " CT series decodes");
    }
    int[] used = best.lungSlices();
    List<float[]> inputs = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int i : used) {
      inputs.add(best.inputs().get(i));
      names.add(best.sources().get(i));
    }
    String note = others.isEmpty() ? null
        : "series " + bestSeries.seriesUid() + " used (most lung slices); left out: " + String.join(", ", others);
    return new Decoded(inputs, names, note);
  }

  private static Decoded decodeImages(List<SeriesAssembler.Input> files, Preprocessing preprocessing) {
    List<SeriesAssembler.Skipped> unreadable = new ArrayList<>();
    DecodedSeries decoded = DecodedSeries.ofImages(files, preprocessing, ImageLimits.MAX_PIXELS, unreadable);
    List<String> failed = unreadable.stream()
        .map(u -> Path.of(u.source()).getFileName() + " (" + u.reason() + ")").toList();
    if (decoded.size() == 0) {
      return new Decoded(List.of(), List.of(), "no slice decodes (" + files.size() + " files; e.g. "
          + failed.stream().limit(3).toList() + ")");
    }
    return new Decoded(decoded.inputs(), decoded.sources(), failed.isEmpty() ? null
        : failed.size() + " files left out: " + failed.stream().limit(3).toList() + (failed.size() > 3 ? "..." : ""));
  }

  private static String summary(List<SeriesAssembler.Skipped> skipped) {
    Map<String, Integer> reasons = new LinkedHashMap<>();
    skipped.forEach(s -> reasons.merge(s.reason(), 1, Integer::sum));
    return reasons.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()))
        .limit(3).map(e -> e.getValue() + "× " + e.getKey()).reduce((a, b) -> a + "; " + b).orElse("none readable");
  }

  private static StudyStore.Cached toCached(CacheEntry e, String source, Path cacheDir) {
    return new StudyStore.Cached(new StudyStore.Study(e.name(), e.label(), e.group(), source, e.sliceNames()),
        cacheDir.resolve(e.file()), e.pixels());
  }

  private static Path uniqueFile(Path cacheDir, Map<String, CacheEntry> manifest) {
    int n = manifest.size() + 1;
    while (true) {
      String name = String.format("%05d.f32", n);
      if (manifest.values().stream().noneMatch(m -> m.file().equals(name))) {
        return cacheDir.resolve(name);
      }
      n++;
    }
  }

  private static long totalBytes(List<Path> files) throws IOException {
    long sum = 0;
    for (Path f : files) {
      sum += Files.size(f);
    }
    return sum;
  }

  private static Map<String, CacheEntry> readManifest(Path cacheDir) throws IOException {
    Path file = cacheDir.resolve(MANIFEST);
    Map<String, CacheEntry> manifest = new LinkedHashMap<>();
    if (Files.isRegularFile(file)) {
      for (CacheEntry e : JSON.readValue(file.toFile(), CacheEntry[].class)) {
        manifest.put(e.name(), e);
      }
    }
    return manifest;
  }

  private static void writeManifest(Path cacheDir, Map<String, CacheEntry> manifest) throws IOException {
    Path tmp = cacheDir.resolve(MANIFEST + ".partial");
    JSON.writeValue(tmp.toFile(), manifest.values());
    Files.move(tmp, cacheDir.resolve(MANIFEST), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
