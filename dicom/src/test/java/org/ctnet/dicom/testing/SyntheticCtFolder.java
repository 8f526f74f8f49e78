package org.ctnet.dicom.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.dicom.write.Uids;

/** Writes one synthetic CT study as files (for benchmarks): {@code <folder> <slices> <side>}. */
public final class SyntheticCtFolder {
  private SyntheticCtFolder() {}

  public static void main(String[] args) throws Exception {
    Path folder = Path.of(args[0]);
    int slices = Integer.parseInt(args[1]);
    int side = Integer.parseInt(args[2]);
    Files.createDirectories(folder);
    Uids uids = new Uids(Uids.UUID_ROOT);
    List<byte[]> files = SyntheticCt.series(new SyntheticCt.Patient("Synthetic^Benchmark", "BENCH-1", "19700101",
        "BENCH-ACC"), uids.next(), uids.next(), slices, side);
    for (int i = 0; i < files.size(); i++) {
      Files.write(folder.resolve(String.format("%04d.dcm", i)), files.get(i));
    }
    System.out.println(files.size() + " slices of " + side + "x" + side + " written to " + folder);
  }
}
