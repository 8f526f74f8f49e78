package org.ctnet.trainer.data;

import java.nio.file.Path;

/**
 * One labelled image.
 *
 * @param path the image file
 * @param label class name
 * @param group scan/patient group (samples of one group never straddle a split); the path itself
 *     when the dataset has no groups
 * @param source the dataset (hospital, collection) the image came from, for per-source figures
 */
public record Sample(Path path, String label, String group, String source) {
  public Sample {
    source = source == null ? "" : source;
  }

  public Sample(Path path, String label, String group) {
    this(path, label, group, "");
  }
}
