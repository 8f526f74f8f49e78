package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.ctnet.dicom.testing.SyntheticCt;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.spec.SpecJson;
import org.ctnet.trainer.data.StudyListing;
import org.ctnet.trainer.data.StudyLoader;
import org.ctnet.trainer.data.StudyStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which files make which labelled study, what is wrong with the rest, and what a study decodes to. */
class StudyInputTest {
  private static final List<String> CLASSES = List.of("non-covid", "covid");
  @TempDir Path dir;

  private static void dicomStudy(Path folder, String patientId, String studyUid, String seriesUid, int slices)
      throws IOException {
    Files.createDirectories(folder);
    List<byte[]> files = SyntheticCt.series(new SyntheticCt.Patient("Test^" + patientId, patientId, "19700101", "A1"),
        studyUid, seriesUid, slices, 64);
    for (int i = 0; i < files.size(); i++) {
      Files.write(folder.resolve(String.format("%s-%03d.dcm", patientId, i)), files.get(i));
    }
  }

  private static Map<String, String> problems(StudyListing.Listing listing) {
    return listing.problems().stream().collect(Collectors.toMap(StudyListing.Problem::study,
        StudyListing.Problem::reason, (a, b) -> a + " | " + b));
  }

  @Test
  void labelsFileNamesStudiesByFolderStudyUidOrSeriesUidAndNamesEveryBadRow() throws IOException {
    dicomStudy(dir.resolve("alpha"), "P1", "1.2.826.0.1.1", "1.2.826.0.1.1.1", 4);
    // Two studies exported into one flat folder: found by their UIDs.
    dicomStudy(dir.resolve("export"), "P2", "1.2.826.0.1.2", "1.2.826.0.1.2.1", 3);
    dicomStudy(dir.resolve("export"), "P3", "1.2.826.0.1.3", "1.2.826.0.1.3.7", 5);
    Files.createDirectories(dir.resolve("unused"));
    Files.writeString(dir.resolve("unused/x.png"), "not listed");
    Files.createDirectories(dir.resolve("empty"));
    Files.writeString(dir.resolve("empty/notes.txt"), "a note, no slice");
    Path csv = dir.resolve("labels.csv");
    Files.writeString(csv, """
        study,label,group
        alpha,COVID,patient-1
        1.2.826.0.1.2,non-covid,
        1.2.826.0.1.3.7,covid,patient-3
        alpha,non-covid,
        ghost,covid,
        empty,covid,
        1.2.826.0.1.2,maybe,
        """);
    StudyListing.Listing listing = StudyListing.read(dir, csv, CLASSES);
    Map<String, StudyListing.Entry> byName = listing.studies().stream()
        .collect(Collectors.toMap(StudyListing.Entry::name, e -> e));
    assertEquals(java.util.Set.of("alpha", "1.2.826.0.1.2", "1.2.826.0.1.3.7"), byName.keySet(), listing.problems().toString());
    assertEquals("covid", byName.get("alpha").label(), "labels match the model's classes whatever their case");
    assertEquals("patient-1", byName.get("alpha").group());
    assertEquals(4, byName.get("alpha").files().size());
    assertEquals("1.2.826.0.1.2", byName.get("1.2.826.0.1.2").group(), "no group: the study stands for itself");
    assertEquals(3, byName.get("1.2.826.0.1.2").files().size(), "the study's files only, not its neighbour's");
    assertEquals(5, byName.get("1.2.826.0.1.3.7").files().size());
    Map<String, String> problems = problems(listing);
    assertTrue(problems.get("alpha").contains("listed twice") && problems.get("alpha").contains("rows 2 and 5"),
        problems.toString());
    assertTrue(problems.get("ghost").contains("not found"), problems.toString());
    assertTrue(problems.get("empty").contains("holds no files"), problems.toString());
    assertTrue(problems.get("1.2.826.0.1.2").contains("listed twice"), "a repeated study is named even with a bad label");
    assertEquals(List.of("unused"), listing.unlisted().stream().filter(n -> !n.equals("export")).toList());
  }

  @Test
  void classFoldersLabelStudiesAndAFolderThatIsNoClassIsAProblem() throws IOException {
    for (String study : List.of("covid/s1", "covid/s2", "non-covid/s3", "pneumonia/s4")) {
      Files.createDirectories(dir.resolve(study));
      Files.writeString(dir.resolve(study).resolve("slice.png"), "x");
    }
    StudyListing.Listing listing = StudyListing.read(dir, null, CLASSES);
    assertEquals(List.of("s1", "s2", "s3"), listing.studies().stream().map(StudyListing.Entry::name).sorted().toList());
    assertEquals(1, listing.problems().size());
    assertTrue(listing.problems().get(0).reason().contains("not a class"), listing.problems().toString());
  }

  @Test
  void aLabelThatIsNoClassAndAMissingColumnAreClear() throws IOException {
    Files.createDirectories(dir.resolve("s1"));
    Files.writeString(dir.resolve("s1/a.png"), "x");
    Path csv = dir.resolve("labels.csv");
    Files.writeString(csv, "study,label\ns1,pneumonia\n");
    StudyListing.Listing listing = StudyListing.read(dir, csv, CLASSES);
    assertTrue(listing.studies().isEmpty());
    assertTrue(problems(listing).get("s1").contains("'pneumonia'") && problems(listing).get("s1").contains("non-covid, covid"),
        problems(listing).toString());
    Files.writeString(csv, "name,diagnosis\ns1,covid\n");
    IOException e = assertThrows(IOException.class, () -> StudyListing.read(dir, csv, CLASSES));
    assertTrue(e.getMessage().contains("study,label"), e.getMessage());
    IOException notAFolder = assertThrows(IOException.class, () -> StudyListing.read(csv, null, CLASSES));
    assertTrue(notAFolder.getMessage().contains("folder (or zip) of studies"), notAFolder.getMessage());
  }

  @Test
  void aDicomStudyDecodesToItsLungSlicesOnceAndABadOneSaysWhy() throws IOException {
    dicomStudy(dir.resolve("studies/good"), "P1", "1.2.826.0.2.1", "1.2.826.0.2.1.1", 6);
    Files.createDirectories(dir.resolve("studies/broken"));
    Files.write(dir.resolve("studies/broken/a.dcm"), new byte[] {'D', 'I', 'C', 'M', 1, 2, 3});
    Files.writeString(dir.resolve("studies/broken/b.png"), "not an image either");
    Path csv = dir.resolve("labels.csv");
    Files.writeString(csv, "study,label\ngood,covid\nbroken,non-covid\n");
    ModelAssets assets = ModelAssets.defaults(SpecJson.preset("tiny"));
    StudyListing.Listing listing = StudyListing.read(dir.resolve("studies"), csv, assets.labels());
    StringWriter log = new StringWriter();
    Path cache = dir.resolve("cache");
    int pixels = assets.spec().inputShape().pixels();
    StudyLoader.Loaded loaded = StudyLoader.load(listing.studies(), assets.preprocessing(), pixels, assets.labels(),
        "test", cache, new PrintWriter(log, true));
    assertEquals(1, loaded.store().size(), loaded.problems().toString());
    assertEquals(6, loaded.store().sliceCount(0), "every synthetic slice shows lung by HU");
    assertEquals(1, loaded.problems().size());
    assertEquals("broken", loaded.problems().get(0).study());
    assertTrue(loaded.problems().get(0).reason().contains("no slice decodes"), loaded.problems().toString());
    float[] first = loaded.store().slice(0, 0);
    assertEquals(pixels, first.length);
    // Decoding twice gives the same inputs the cache holds; a second load reuses the cache (no "decoded" line).
    StringWriter again = new StringWriter();
    StudyStore reused = StudyLoader.load(listing.studies(), assets.preprocessing(), pixels, assets.labels(), "test", cache,
        new PrintWriter(again, true)).store();
    assertArrayEquals(first, reused.slice(0, 0));
    assertFalse(again.toString().contains("good:"), again.toString());
    assertTrue(log.toString().contains("good: 6 slices"), log.toString());
  }

  @Test
  void aZipOfStudiesUnpacksOnceAndAnEntryOutsideItsFolderIsRefused() throws IOException {
    Path zip = dir.resolve("studies.zip");
    try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
      for (String name : List.of("covid/s1/a.png", "non-covid/s2/b.png", "__MACOSX/covid/._s1")) {
        out.putNextEntry(new java.util.zip.ZipEntry(name));
        out.write(name.getBytes());
        out.closeEntry();
      }
    }
    assertTrue(org.ctnet.trainer.data.StudyArchive.isZip(zip));
    Path unpacked = org.ctnet.trainer.data.StudyArchive.unpack(zip, dir.resolve("unpacked"));
    StudyListing.Listing listing = StudyListing.read(unpacked, null, CLASSES);
    assertEquals(List.of("s1", "s2"), listing.studies().stream().map(StudyListing.Entry::name).sorted().toList());
    assertTrue(listing.problems().isEmpty(), listing.problems().toString());
    Path evil = dir.resolve("evil.zip");
    try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(evil))) {
      out.putNextEntry(new java.util.zip.ZipEntry("../outside.png"));
      out.write(1);
      out.closeEntry();
    }
    IOException e = assertThrows(IOException.class,
        () -> org.ctnet.trainer.data.StudyArchive.unpack(evil, dir.resolve("evil-unpacked")));
    assertTrue(e.getMessage().contains("outside its folder"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("outside.png")));
  }
}
