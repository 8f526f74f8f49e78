package org.ctnet.server.pacs;

import org.ctnet.server.config.PacsSettings;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.ctnet.graph.scan.SeriesAssembler;

/**
 * Received instances on disk, one folder per study ({@code <spool>/<StudyInstanceUID>/<SOPInstanceUID>.dcm},
 * each written to a temporary name and moved into place), so a restart loses none: studies found
 * in the spool at start are due again after the quiet period. Limits per study are checked before
 * an instance is written.
 */
final class StudySpool {
  /** Why an instance was not spooled. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  private record Study(long bytes, int instances, long lastArrival) {}

  private final Path root;
  private final PacsSettings settings;
  private final Map<String, Study> studies = new ConcurrentHashMap<>();

  StudySpool(PacsSettings settings) throws IOException {
    this.settings = settings;
    this.root = settings.spool();
    Files.createDirectories(root);
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.filter(Files::isDirectory).toList()) {
        long bytes = 0;
        int n = 0;
        try (Stream<Path> files = Files.list(d)) {
          for (Path f : files.toList()) {
            if (f.getFileName().toString().endsWith(".part")) {
              Files.deleteIfExists(f); // a write cut by the restart: the sender did not get a success for it
            } else {
              bytes += Files.size(f);
              n++;
            }
          }
        }
        studies.put(d.getFileName().toString(), new Study(bytes, n, System.currentTimeMillis()));
      }
    }
  }

  /** Writes an instance into its study's folder (a resent instance replaces itself). */
  synchronized void add(String studyUid, String sopInstanceUid, byte[] data) throws Refused, IOException {
    Study s = studies.getOrDefault(studyUid, new Study(0, 0, 0));
    Path dir = root.resolve(studyUid);
    Path file = dir.resolve(sopInstanceUid + ".dcm");
    boolean replaces = Files.exists(file);
    long bytes = s.bytes() + data.length - (replaces ? Files.size(file) : 0);
    int instances = s.instances() + (replaces ? 0 : 1);
    if (instances > settings.maxStudyInstances()) {
      throw new Refused("the study already holds " + settings.maxStudyInstances() + " instances (the limit)");
    }
    if (bytes > settings.maxStudyBytes()) {
      throw new Refused("the study would exceed " + settings.maxStudyBytes() + " bytes (the limit)");
    }
    Files.createDirectories(dir);
    Path part = dir.resolve(sopInstanceUid + ".dcm.part");
    Files.write(part, data);
    try {
      Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
    }
    studies.put(studyUid, new Study(bytes, instances, System.currentTimeMillis()));
  }

  /** Studies with no new instance for the quiet period. */
  List<String> due(long now) {
    List<String> out = new ArrayList<>();
    studies.forEach((uid, s) -> {
      if (now - s.lastArrival() >= settings.quietMillis()) {
        out.add(uid);
      }
    });
    return out;
  }

  boolean holds(String studyUid) {
    return studies.containsKey(studyUid);
  }

  int pendingStudies() {
    return studies.size();
  }

  /** A study's instances as scan inputs (named by file, no patient data in the names). */
  List<SeriesAssembler.Input> read(String studyUid) throws IOException {
    List<SeriesAssembler.Input> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(root.resolve(studyUid))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".dcm")).sorted().toList()) {
        out.add(new SeriesAssembler.Input(f.getFileName().toString(), Files.readAllBytes(f)));
      }
    }
    return out;
  }

  /** Forgets a study once it has been answered (unless instances arrived after {@code answeredAt}). */
  synchronized void remove(String studyUid, long answeredAt) throws IOException {
    Study s = studies.get(studyUid);
    if (s != null && s.lastArrival() > answeredAt) {
      return; // more arrived while it was scored: it is answered again when quiet
    }
    studies.remove(studyUid);
    Path dir = root.resolve(studyUid);
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  /** Marks a study as just touched (an answer failed: it waits another quiet period). */
  synchronized void postpone(String studyUid) {
    studies.computeIfPresent(studyUid, (k, s) -> new Study(s.bytes(), s.instances(), System.currentTimeMillis()));
  }

  /** Makes a study due now (an explicit request). */
  synchronized boolean expedite(String studyUid) {
    return studies.computeIfPresent(studyUid, (k, s) -> new Study(s.bytes(), s.instances(), 0)) != null;
  }
}
