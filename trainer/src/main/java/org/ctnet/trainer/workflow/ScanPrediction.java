package org.ctnet.trainer.workflow;

import org.ctnet.trainer.data.ImageLimits;

import org.ctnet.graph.runtime.Predictor;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.scan.ScanScorer;
import org.ctnet.graph.scan.Series;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.graph.scan.SeriesInputs;
import org.ctnet.trainer.data.Csv;

/**
 * Scan verdicts for a folder or zip: DICOM files are assembled into series (what is left out is
 * reported per file), PNG/JPEG slices form one scan per folder (sorted by file name); every scan is
 * scored by {@link ScanScorer}. Writes one CSV row per scan and one per slice.
 */
public final class ScanPrediction {
  /** Per file, per zip: refuse what no CT series needs. */
  public static final long MAX_PIXELS_PER_FILE = ImageLimits.MAX_PIXELS;
  public static final int MAX_FILES = 20_000;
  public static final long MAX_ZIP_BYTES = 8L << 30;

  private ScanPrediction() {}

  public record Outcome(List<ScanScorer.ScanResult> scans, List<SeriesAssembler.Skipped> skipped) {}

  public static Outcome run(Predictor session, Path input, Path slicesCsv, Path scansCsv, PrintWriter out)
      throws IOException {
    return score(session, read(input), slicesCsv, scansCsv, out);
  }

  /**
   * Scores the scans found in several entries of an archive (one batch shard's sub-folders or zips);
   * each file is named under its entry (e.g. {@code patient-17/series-2/0001.dcm}), so scan names stay
   * unique across entries.
   */
  public static Outcome run(Predictor session, List<Path> entries, Path slicesCsv, Path scansCsv, PrintWriter out)
      throws IOException {
    List<SeriesAssembler.Input> files = new ArrayList<>();
    for (Path entry : entries) {
      for (SeriesAssembler.Input f : read(entry)) {
        // A lone DICOM file keeps its name; files inside a folder or zip go under the entry's name.
        String name = f.name().equals(entry.getFileName().toString()) ? f.name() : entry.getFileName() + "/" + f.name();
        files.add(new SeriesAssembler.Input(name, f.data()));
        if (files.size() > MAX_FILES) {
          throw new IOException("more than " + MAX_FILES + " files in this shard");
        }
      }
    }
    return score(session, files, slicesCsv, scansCsv, out);
  }

  /** The entries of an archive folder a batch shards over: sub-folders and files, hidden ones and notes left out. */
  public static List<Path> entries(Path archive) throws IOException {
    if (!Files.isDirectory(archive)) {
      throw new IOException("a sharded scan batch needs a folder of scans (sub-folders or zips): " + archive);
    }
    try (Stream<Path> list = Files.list(archive)) {
      return list.filter(ScanPrediction::isScanFile).sorted().toList();
    }
  }

  private static boolean isScanFile(Path p) {
    String n = p.getFileName().toString().toLowerCase();
    return !n.startsWith(".") && !n.endsWith(".csv") && !n.endsWith(".md") && !n.endsWith(".partial");
  }

  private static Outcome score(Predictor session, List<SeriesAssembler.Input> files, Path slicesCsv, Path scansCsv,
      PrintWriter out) throws IOException {
    List<SeriesAssembler.Input> dicom = new ArrayList<>();
    Map<String, List<SeriesAssembler.Input>> imageFolders = new LinkedHashMap<>();
    for (SeriesAssembler.Input f : files) {
      if (DicomReader.looksLikeDicom(f.data())) {
        dicom.add(f);
      } else {
        int slash = f.name().lastIndexOf('/');
        imageFolders.computeIfAbsent(slash >= 0 ? f.name().substring(0, slash) : ".", k -> new ArrayList<>()).add(f);
      }
    }
    SeriesAssembler.Assembly assembly = SeriesAssembler.assemble(dicom, MAX_PIXELS_PER_FILE);
    List<SeriesAssembler.Skipped> skipped = new ArrayList<>(assembly.skipped());
    ScanScorer scorer = new ScanScorer(session);
    List<ScanScorer.ScanResult> results = new ArrayList<>();
    for (Series series : assembly.series()) {
      try {
        results.add(scorer.score(series, MAX_PIXELS_PER_FILE, skipped));
      } catch (IllegalArgumentException noReadableSlice) {
        skipped.add(new SeriesAssembler.Skipped(series.seriesUid(), "no slice of the series could be decoded"));
      }
    }
    for (var folder : imageFolders.entrySet()) {
      scorer.scoreImages(folder.getKey(), folder.getValue(), MAX_PIXELS_PER_FILE, skipped).ifPresent(results::add);
    }
    write(results, skipped, slicesCsv, scansCsv);
    ScanReport.write(reportFor(scansCsv), session, results, skipped);
    for (ScanScorer.ScanResult r : results) {
      out.printf("%s: %s, P=%.4f (%s of %d/%d slices; threshold %.4f), top slices %s%n", r.name(),
          session.assets().labels().get(r.positive() ? session.assets().positiveClass() : 0), r.probability(),
          r.decision().rule().description(), r.used().length, r.sources().size(), r.decision().threshold(),
          java.util.Arrays.stream(r.top()).limit(3).mapToObj(i -> r.sources().get(i)).collect(Collectors.joining(", ")));
      if (r.hasInvolvement()) {
        out.printf("  lung involvement %.4f (%s: %s)%n", r.involvement(), r.severity().code(), r.severity().meaning());
      }
      if (!r.lungFound()) {
        out.println("  note: no slice showed lung by HU (or HU are unknown): every slice was used");
      }
      if (!r.inputCheck().equals("ok")) {
        out.printf("  input check: %s (%d of %d used slices pass their checks)%n", r.inputCheck(), r.usableSlices(),
            r.used().length);
      }
    }
    for (SeriesAssembler.Skipped s : skipped) {
      out.println("skipped " + s.source() + ": " + s.reason());
    }
    return new Outcome(results, skipped);
  }

  /** The HTML report beside the scans CSV: scans.csv → scans.html. */
  public static Path reportFor(Path scansCsv) {
    String name = scansCsv.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return scansCsv.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".html");
  }

  private static List<SeriesAssembler.Input> read(Path input) throws IOException {
    if (Files.isRegularFile(input)) {
      byte[] data = Files.readAllBytes(input);
      if (SeriesInputs.looksLikeZip(data)) {
        return SeriesInputs.fromZip(data, MAX_FILES, MAX_ZIP_BYTES);
      }
      return List.of(new SeriesAssembler.Input(input.getFileName().toString(), data));
    }
    if (!Files.isDirectory(input)) {
      throw new IOException("input not found: " + input);
    }
    List<SeriesAssembler.Input> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(input)) {
      for (Path p : walk.filter(Files::isRegularFile).filter(ScanPrediction::isScanFile).sorted().toList()) {
        if (files.size() == MAX_FILES) {
          throw new IOException("more than " + MAX_FILES + " files under " + input);
        }
        files.add(new SeriesAssembler.Input(input.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p)));
      }
    }
    return files;
  }

  private static void write(List<ScanScorer.ScanResult> results, List<SeriesAssembler.Skipped> skipped, Path slicesCsv,
      Path scansCsv) throws IOException {
    try (Writer w = Files.newBufferedWriter(scansCsv, StandardCharsets.UTF_8)) {
      w.write(Csv.row("scan", "probability", "positive", "threshold", "rule", "slices", "slices_used", "lung_found",
          "top_slices", "lung_involvement", "severity", "input_check", "usable_slices") + "\n");
      for (ScanScorer.ScanResult r : results) {
        w.write(Csv.row(r.name(), String.format("%.6f", r.probability()), Boolean.toString(r.positive()),
            Double.toString(r.decision().threshold()), r.decision().rule().name().toLowerCase(),
            Integer.toString(r.sources().size()), Integer.toString(r.used().length), Boolean.toString(r.lungFound()),
            java.util.Arrays.stream(r.top()).mapToObj(i -> r.sources().get(i)).collect(Collectors.joining(";")),
            r.hasInvolvement() ? String.format("%.6f", r.involvement()) : "",
            r.hasInvolvement() ? r.severity().code() : "", r.inputCheck(), Integer.toString(r.usableSlices())) + "\n");
      }
    }
    try (Writer w = Files.newBufferedWriter(slicesCsv, StandardCharsets.UTF_8)) {
      w.write(Csv.row("scan", "order", "path", "probability", "shows_lung", "used", "error", "lung_involvement",
          "input_check") + "\n");
      for (ScanScorer.ScanResult r : results) {
        java.util.Set<Integer> used = java.util.Arrays.stream(r.used()).boxed().collect(Collectors.toSet());
        for (int i = 0; i < r.sources().size(); i++) {
          w.write(Csv.row(r.name(), Integer.toString(i), r.sources().get(i), String.format("%.6f", r.sliceProbabilities()[i]),
              Boolean.toString(r.lung()[i]), Boolean.toString(used.contains(i)), "",
              r.hasInvolvement() ? String.format("%.6f", r.sliceInvolvement()[i]) : "",
              r.sliceChecks() == null ? "" : r.sliceChecks().get(i).code()) + "\n");
        }
      }
      for (SeriesAssembler.Skipped s : skipped) {
        w.write(Csv.row("", "", s.source(), "", "", "false", s.reason(), "", "") + "\n");
      }
    }
  }
}
