package org.ctnet.trainer.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.trainer.data.StudyArchive;
import org.ctnet.trainer.data.StudyListing;
import org.ctnet.trainer.data.StudyLoader;
import org.ctnet.trainer.data.StudyStore;
import picocli.CommandLine.Option;

/** Studies with one label each: where they are, how they are labelled, what to do with the bad ones. */
public final class StudyInputOptions {
  @Option(names = "--studies", paramLabel = "DIR",
      description = "A folder (or zip) of studies: one sub-folder per study (DICOM files as the scan path reads them, or PNG/JPEG "
          + "slices), labelled by --labels; without --labels, one folder per class holding one folder per study. Each "
          + "study is trained on the lung slices of its series with the most of them.")
  Path studies;

  @Option(names = "--labels", paramLabel = "CSV",
      description = "Study labels: columns study,label[,group]; study = a sub-folder's name, a StudyInstanceUID or a "
          + "SeriesInstanceUID under --studies; group = the patient when a patient has several studies.")
  Path labels;

  @Option(names = "--skip-bad-studies",
      description = "Leave out the studies that cannot be used (named and counted) instead of stopping before training.")
  boolean skipBadStudies;

  boolean given() {
    return studies != null;
  }

  /** Thrown when bad studies stop the run; the message says which and why. */
  static final class BadStudies extends IOException {
    BadStudies(String message) {
      super(message);
    }
  }

  /**
   * Lists, checks and decodes the studies (cached under {@code cacheDir}); prints what was left out
   * and why. Throws {@link BadStudies} naming every bad study unless --skip-bad-studies.
   */
  StudyStore load(ModelAssets assets, Path cacheDir, PrintWriter out) throws IOException {
    if (labels != null && studies == null) {
      throw new IllegalArgumentException("--labels needs --studies (the folder the labelled studies are in)");
    }
    Path root = studies;
    if (StudyArchive.isZip(studies)) {
      root = StudyArchive.unpack(studies, cacheDir.resolveSibling("studies-unpacked"));
      out.println("unpacked " + studies + " into " + root);
    }
    StudyListing.Listing listing = StudyListing.read(root, labels, assets.labels());
    if (!listing.unlisted().isEmpty()) {
      out.printf("note: %d folder(s) under %s are not in %s and are not used (e.g. %s)%n", listing.unlisted().size(),
          studies, labels, listing.unlisted().get(0));
    }
    StudyLoader.Loaded loaded = StudyLoader.load(listing.studies(), assets.preprocessing(),
        assets.spec().inputShape().pixels(), assets.labels(), studies.toString(), cacheDir, out);
    loaded.notes().forEach(n -> out.println("note: " + n));
    List<StudyListing.Problem> problems = new ArrayList<>(listing.problems());
    problems.addAll(loaded.problems());
    if (!problems.isEmpty()) {
      StringBuilder message = new StringBuilder(String.format("%d of %d listed studies cannot be used:",
          problems.size(), listing.studies().size() + listing.problems().size()));
      problems.forEach(p -> message.append("\n  ").append(p));
      if (!skipBadStudies) {
        throw new BadStudies(message + "\nnothing was trained: fix them, or pass --skip-bad-studies to leave them out");
      }
      out.println("warning: " + message + "\nleft out (--skip-bad-studies)");
    }
    StudyStore store = loaded.store();
    if (store.size() == 0) {
      throw new IOException("no usable study under " + studies);
    }
    out.printf("studies: %d usable %s, %d lung slices%n", store.size(), store.classCounts(), store.totalSlices());
    return store;
  }
}
