package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImageTooLargeException;
import org.ctnet.graph.scan.LungSlices;
import org.ctnet.graph.assets.ScanRule;
import org.ctnet.graph.scan.Series;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.graph.scan.SeriesInputs;
import org.ctnet.graph.testing.DicomFiles;
import org.ctnet.graph.testing.DicomFiles.Slice;
import org.ctnet.graph.testing.SharedData;
import org.junit.jupiter.api.Test;

/** From a bag of DICOM files to ordered CT series, and from slice probabilities to a scan's. */
class ScanTest {
  private static final int SIDE = 32;

  @Test
  void filesAreGroupedBySeriesOrderedAlongTheBodyAxisAndEverythingLeftOutIsReported() {
    List<SeriesAssembler.Input> files = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      // InstanceNumber runs against the position: the position must win.
      files.add(new SeriesAssembler.Input("a" + i, DicomFiles.write(Slice.axial("1.2.3.1", 10 - i, -50.0 + 5 * i,
          DicomFiles.chest(SIDE, true), SIDE))));
      files.add(new SeriesAssembler.Input("b" + i, DicomFiles.write(Slice.axial("1.2.3.2", i, 100.0 - 2 * i,
          DicomFiles.chest(SIDE, false), SIDE))));
    }
    Collections.shuffle(files, new Random(3));
    short[] hu = DicomFiles.chest(SIDE, true);
    files.add(new SeriesAssembler.Input("scout", DicomFiles.write(new Slice("CT", "ORIGINAL\\PRIMARY\\LOCALIZER", "1.2.3",
        "1.2.3.9", 1, new double[] {0, 0, 0}, new double[] {1, 0, 0, 0, 0, -1}, SIDE, SIDE, hu))));
    files.add(new SeriesAssembler.Input("coronal", DicomFiles.write(new Slice("CT", "DERIVED\\SECONDARY", "1.2.3",
        "1.2.3.8", 1, new double[] {0, 0, 0}, new double[] {1, 0, 0, 0, 0, -1}, SIDE, SIDE, hu))));
    files.add(new SeriesAssembler.Input("mr", DicomFiles.write(new Slice("MR", null, "1.2.3", "1.2.3.7", 1, null, null,
        SIDE, SIDE, hu))));
    files.add(new SeriesAssembler.Input("notes.txt", "hello".getBytes()));
    byte[] whole = DicomFiles.write(Slice.axial("1.2.3.1", 99, 0, hu, SIDE));
    files.add(new SeriesAssembler.Input("truncated", java.util.Arrays.copyOf(whole, whole.length - 100)));

    SeriesAssembler.Assembly a = SeriesAssembler.assemble(files, DicomReader.DEFAULT_MAX_PIXELS);
    assertEquals(2, a.series().size());
    Series first = a.series().stream().filter(s -> s.seriesUid().equals("1.2.3.1")).findFirst().orElseThrow();
    // The truncated file's header is whole: it is assembled, and reported when its pixels are decoded.
    assertEquals(List.of("a0", "a1", "a2", "a3", "a4", "a5", "truncated"), first.slices().stream().map(s -> s.source()).toList());
    var e = assertThrows(ImageDecodeException.class, () -> first.slices().get(6).decode(DicomReader.DEFAULT_MAX_PIXELS));
    assertTrue(e.getMessage().contains("truncated DICOM"), e.getMessage());
    Series second = a.series().stream().filter(s -> s.seriesUid().equals("1.2.3.2")).findFirst().orElseThrow();
    assertEquals(List.of("b5", "b4", "b3", "b2", "b1", "b0"), second.slices().stream().map(s -> s.source()).toList());
    assertEquals(4, a.skipped().size(), a.skipped().toString());
    String reasons = a.skipped().toString();
    for (String expected : List.of("scout, reason=a localiser", "coronal, reason=not an axial slice",
        "mr, reason=modality MR", "notes.txt, reason=not a DICOM file")) {
      assertTrue(reasons.contains(expected), expected + " in " + reasons);
    }
  }

  @Test
  void lungSlicesAreFoundFromHounsfieldUnits() throws Exception {
    var withLungs = DicomReader.read(DicomFiles.write(Slice.axial("1", 1, 0, DicomFiles.chest(64, true), 64)));
    var abdomen = DicomReader.read(DicomFiles.write(Slice.axial("1", 2, 0, DicomFiles.chest(64, false), 64)));
    // Two lung discs of radius 0.17·side inside a body ellipse of 0.45·side × 0.45/1.3·side.
    double expected = 2 * Math.PI * 0.17 * 0.17 / (Math.PI * 0.45 * 0.45 / 1.3);
    assertEquals(expected, LungSlices.lungShare(withLungs, 0), 0.03);
    assertTrue(LungSlices.showsLung(withLungs, 0));
    assertEquals(0, LungSlices.lungShare(abdomen, 0), 1e-9);
    assertFalse(LungSlices.showsLung(abdomen, 0));
  }

  @Test
  void scanRulesAggregateAsDocumented() {
    double[] p = {0.1, 0.9, 0.2, 0.8, 0.3, 0.05, 0.0, 0.4, 0.6, 0.7};
    assertEquals((0.9 + 0.8) / 2, ScanRule.TOP_K_MEAN.aggregate(p), 1e-12, "top 20% of 10 slices = 2");
    assertEquals(0.405, ScanRule.MEAN.aggregate(p), 1e-12);
    assertEquals(0.9, ScanRule.MAX.aggregate(p), 1e-12);
    double none = 1;
    for (double v : p) {
      none *= 1 - v;
    }
    assertEquals(1 - none, ScanRule.NOISY_OR.aggregate(p), 1e-12);
    double[] many = new double[300];
    java.util.Arrays.fill(many, 1e-4);
    assertEquals(1 - Math.pow(1 - 1e-4, 300), ScanRule.NOISY_OR.aggregate(many), 1e-12);
    assertEquals(1.0, ScanRule.NOISY_OR.aggregate(new double[] {1.0, 0.5}), 1e-9, "a certain slice, no NaN");
    assertEquals(ScanRule.NOISY_OR, ScanRule.parse("noisy-or"));
    assertThrows(IllegalArgumentException.class, () -> ScanRule.parse("median"));
    assertThrows(IllegalArgumentException.class, () -> ScanRule.MEAN.aggregate(new double[0]));
  }

  private static byte[] zip(List<String> names, List<byte[]> contents) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (int i = 0; i < names.size(); i++) {
        zip.putNextEntry(new ZipEntry(names.get(i)));
        zip.write(contents.get(i));
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  @Test
  void zipsAreReadWithinLimitsThatBombsCannotPass() throws Exception {
    byte[] slice = DicomFiles.write(Slice.axial("1", 1, 0, DicomFiles.chest(SIDE, true), SIDE));
    byte[] ok = zip(List.of("s/1.dcm", "s/2.dcm", "__MACOSX/s/._1.dcm", "s/.DS_Store"), List.of(slice, slice, new byte[3], new byte[2]));
    assertTrue(SeriesInputs.looksLikeZip(ok));
    assertEquals(List.of("s/1.dcm", "s/2.dcm"), SeriesInputs.fromZip(ok, 10, 1 << 20).stream().map(SeriesAssembler.Input::name).toList());
    byte[] bomb = zip(List.of("zeros.dcm"), List.of(new byte[20 << 20]));
    assertTrue(bomb.length < 100_000, "20 MiB of zeros compress to " + bomb.length + " bytes");
    var e = assertThrows(ImageTooLargeException.class, () -> SeriesInputs.fromZip(bomb, 10, 1 << 20));
    assertTrue(e.getMessage().contains("inflates to more than"), e.getMessage());
    assertThrows(ImageTooLargeException.class, () -> SeriesInputs.fromZip(ok, 1, 1 << 20));
    assertThrows(ImageDecodeException.class, () -> SeriesInputs.fromZip("PK\u0003\u0004garbage".getBytes(), 10, 1 << 20));
  }

  /**
   * Entries inflated side by side through the central directory: the same bytes as written, stored or
   * deflated; an archive whose directory lies about a size is refused whichever way it lies.
   */
  @Test
  void zipEntriesInflateToExactlyTheirDeclaredSizesOrAreRefused() throws Exception {
    java.util.Random random = new java.util.Random(5);
    List<byte[]> contents = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      byte[] b = new byte[1000 + random.nextInt(70_000)];
      for (int k = 0; k < b.length; k++) {
        b[k] = (byte) (random.nextInt(7) * (k % 13)); // compressible, not trivially
      }
      contents.add(b);
      names.add("series/" + i + ".dcm");
    }
    byte[] deflated = zip(names, contents);
    List<SeriesAssembler.Input> read = SeriesInputs.fromZip(deflated, 100, 10 << 20);
    assertEquals(names, read.stream().map(SeriesAssembler.Input::name).toList());
    for (int i = 0; i < names.size(); i++) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(contents.get(i), read.get(i).data(), names.get(i));
    }
    ByteArrayOutputStream storedBytes = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(storedBytes)) {
      z.setMethod(ZipOutputStream.STORED);
      ZipEntry e = new ZipEntry("one.dcm");
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(contents.get(0));
      e.setSize(contents.get(0).length);
      e.setCrc(crc.getValue());
      z.putNextEntry(e);
      z.write(contents.get(0));
      z.closeEntry();
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(contents.get(0),
        SeriesInputs.fromZip(storedBytes.toByteArray(), 10, 1 << 20).get(0).data());
    // A stored entry has no check but its CRC-32: one flipped byte of its data is refused, not scored.
    byte[] flipped = storedBytes.toByteArray();
    flipped[30 + "one.dcm".length() + 500] ^= 0x01;
    var damaged = assertThrows(ImageDecodeException.class, () -> SeriesInputs.fromZip(flipped, 10, 1 << 20));
    assertTrue(damaged.getMessage().contains("one.dcm is damaged: its CRC-32"), damaged.getMessage());

    // The central directory's uncompressed size of the first entry, patched down and up.
    byte[] lying = deflated.clone();
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(lying).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int central = -1;
    for (int p = 0; p + 4 <= lying.length; p++) {
      if (b.getInt(p) == 0x02014b50) {
        central = p;
        break;
      }
    }
    for (int declared : new int[] {100, contents.get(0).length + 1}) {
      b.putInt(central + 24, declared);
      var e = assertThrows(ImageDecodeException.class, () -> SeriesInputs.fromZip(lying, 100, 10 << 20));
      assertTrue(e.getMessage().contains("does not inflate to its declared " + declared + " bytes"), e.getMessage());
    }
    // A deflated entry whose directory CRC-32 does not match what it inflates to.
    byte[] wrongCrc = deflated.clone();
    java.nio.ByteBuffer.wrap(wrongCrc).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(central + 16,
        java.nio.ByteBuffer.wrap(wrongCrc).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(central + 16) ^ 1);
    var crcRefused = assertThrows(ImageDecodeException.class, () -> SeriesInputs.fromZip(wrongCrc, 100, 10 << 20));
    assertTrue(crcRefused.getMessage().contains("CRC-32"), crcRefused.getMessage());
    // A directory entry pointing where no local header is, and deflated bytes that are not deflate.
    byte[] misplaced = deflated.clone();
    java.nio.ByteBuffer.wrap(misplaced).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(central + 42, 7);
    var e = assertThrows(ImageDecodeException.class, () -> SeriesInputs.fromZip(misplaced, 100, 10 << 20));
    assertTrue(e.getMessage().contains("no local header"), e.getMessage());
    byte[] corrupt = deflated.clone();
    for (int k = 30 + names.get(0).length(); k < 30 + names.get(0).length() + 40; k++) {
      corrupt[k] = (byte) 0xFF;
    }
    e = assertThrows(ImageDecodeException.class, () -> SeriesInputs.fromZip(corrupt, 100, 10 << 20));
    assertTrue(e.getMessage().contains(names.get(0)), e.getMessage());
  }

  @Test
  void theScannerSeriesAssembleIntoThreeScansInSliceLocationOrder() throws Exception {
    Path root = SharedData.require("covid-ct-md-dicom-dev");
    List<SeriesAssembler.Input> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(p -> p.toString().endsWith(".dcm")).sorted().toList()) {
        files.add(new SeriesAssembler.Input(root.relativize(p).toString(), Files.readAllBytes(p)));
      }
    }
    Collections.shuffle(files, new Random(1));
    SeriesAssembler.Assembly a = SeriesAssembler.assemble(files, DicomReader.DEFAULT_MAX_PIXELS);
    assertEquals(List.of(), a.skipped());
    assertEquals(3, a.series().size());
    List<Integer> sizes = a.series().stream().map(s -> s.slices().size()).sorted().toList();
    assertEquals(List.of(37, 39, 42), sizes);
    for (Series s : a.series()) {
      String patient = s.slices().get(0).source().split("/")[0];
      assertTrue(s.slices().stream().allMatch(x -> x.source().startsWith(patient + "/")), "one patient per series");
      for (int i = 1; i < s.slices().size(); i++) {
        assertTrue(s.slices().get(i).position() > s.slices().get(i - 1).position());
      }
      long lung = 0;
      for (var x : s.slices()) {
        lung += LungSlices.showsLung(x.decode(DicomReader.DEFAULT_MAX_PIXELS), x.frame()) ? 1 : 0;
      }
      assertTrue(lung >= s.slices().size() / 2, patient + ": " + lung + " of " + s.slices().size() + " slices show lung");
    }
  }
}
