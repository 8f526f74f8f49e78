package org.ctnet.trainer.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.trainer.data.MaskedSlices;
import picocli.CommandLine.Option;

/** Slices with infection masks to score maps against, optionally only some patients (explain-eval, segment-eval). */
public final class MaskedDataOptions {
  @Option(names = "--data", required = true, paramLabel = "DIR",
      description = "Folder with manifest.csv (columns image, mask; optional orientation_fix=none|transpose|transpose_flip, "
          + "patient_id, mask_kind), the images and the masks (mask > 127 = infection).")
  Path data;

  @Option(names = "--groups", paramLabel = "FILE",
      description = "Score only the slices whose patient_id (or group) is listed in FILE, one per line "
          + "(e.g. the lesion-holdout-groups.txt a lesion training writes).")
  Path groups;

  @Option(names = "--orientation-fix", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Turn slices as the manifest's orientation_fix column says: none, transpose or transpose_flip "
          + "(default on; --no-orientation-fix ignores the column, for a manifest that records a step already applied).")
  boolean orientationFix;

  /** The manifest's slices, only the listed groups' when --groups is given (none of them: an error). */
  List<MaskedSlices.Slice> slices() throws IOException {
    List<MaskedSlices.Slice> slices = MaskedSlices.read(data, orientationFix);
    if (groups == null) {
      return slices;
    }
    List<String> keep = Files.readAllLines(groups).stream().map(String::trim).filter(l -> !l.isEmpty()).toList();
    slices = MaskedSlices.filter(slices, keep, true);
    if (slices.isEmpty()) {
      throw new IOException("no slice of " + data + " belongs to a group listed in " + groups);
    }
    return slices;
  }

  /** What was scored, for reports: "all" or the groups file. */
  String groupsLabel() {
    return groups == null ? "all" : groups.toString();
  }
}
