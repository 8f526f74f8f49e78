package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.ctnet.dicom.DicomImage;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.testing.SharedData;
import org.junit.jupiter.api.Test;

/**
 * Real scanner DICOM (JPEG Lossless, process 14 SV1) decodes to exactly the pixels another toolkit
 * decoded: the manifest of covid-ct-md-dicom-dev holds their SHA-256 and HU range and mean.
 */
class ScannerDicomTest {
  @Test
  void everyJpegLosslessFileDecodesToTheIndependentOracle() throws Exception {
    Path root = SharedData.require("covid-ct-md-dicom-dev");
    List<String> lines = Files.readAllLines(root.resolve("manifest.csv"));
    List<String> header = List.of(lines.get(0).split(","));
    List<String> failures = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] row = line.split(",");
      String path = row[header.indexOf("path")];
      DicomImage image = DicomReader.read(Files.readAllBytes(root.resolve(path)));
      ByteBuffer little = ByteBuffer.allocate(image.rows() * image.columns() * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int v : image.stored()[0]) {
        little.putShort((short) v);
      }
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(little.array()));
      double[] hu = image.hounsfield();
      double min = Double.MAX_VALUE;
      double max = -Double.MAX_VALUE;
      double sum = 0;
      for (double v : hu) {
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
      }
      double mean = sum / hu.length;
      if (!sha.equals(row[header.indexOf("stored_pixels_sha256")])
          || min != Double.parseDouble(row[header.indexOf("hu_min")])
          || max != Double.parseDouble(row[header.indexOf("hu_max")])
          || Math.abs(mean - Double.parseDouble(row[header.indexOf("hu_mean")])) > 1e-3) {
        failures.add(path + String.format(": HU %.0f..%.0f mean %.3f", min, max, mean));
      }
      assertEquals("CT", image.modality(), path);
      assertEquals(3, image.attributes().position().length, path + ": ImagePositionPatient");
      assertEquals(Double.parseDouble(row[header.indexOf("slice_location")]), image.attributes().position()[2], 0.51,
          path + ": z of ImagePositionPatient against the manifest's slice location");
      assertTrue(image.attributes().seriesUid().startsWith("1."), path + ": SeriesInstanceUID");
    }
    assertEquals(List.of(), failures, "files whose decoded pixels differ from the manifest's oracle");
    assertEquals(118, lines.size() - 1, "manifest rows");
  }
}
