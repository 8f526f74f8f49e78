package org.ctnet.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ctnet.graph.testing.SyntheticImages;

/** A folder of synthetic CT-like PNGs with a manifest (two slices per "scan" group). */
final class SyntheticDataset {
  private SyntheticDataset() {}

  static Path write(Path root, int images, long seed, boolean withCorruptFile) throws IOException {
    SyntheticImages.Batch batch = SyntheticImages.blobs(images, 32, seed);
    StringBuilder manifest = new StringBuilder("path,label,group\n");
    for (int i = 0; i < images; i++) {
      String label = batch.labels()[i] == 1 ? "covid" : "non-covid";
      Path file = root.resolve(label).resolve(String.format("img_%04d.png", i));
      Files.createDirectories(file.getParent());
      Files.write(file, SyntheticImages.png(batch.image(i), 32, 32));
      manifest.append(label).append('/').append(file.getFileName()).append(',').append(label).append(",scan")
          .append(i / 4).append('-').append(label).append('\n');
    }
    if (withCorruptFile) {
      Path bad = root.resolve("covid/corrupt.png");
      Files.writeString(bad, "this is not a PNG");
      manifest.append("covid/corrupt.png,covid,scan-bad\n");
    }
    Files.writeString(root.resolve("manifest.csv"), manifest.toString());
    return root;
  }
}
