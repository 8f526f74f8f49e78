package org.ctnet.trainer;

import org.ctnet.trainer.train.EpochPlan;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.ctnet.trainer.data.Augmentation;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.DatasetReader;
import org.ctnet.trainer.data.Sample;
import org.ctnet.trainer.workflow.PatientDraws;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Multi-source reading, nested patient draws and the source-shift augmentation. */
class TransferDataTest {
  @TempDir Path dir;

  @Test
  void severalSourcesKeepTheirNamesAndTheirGroupsApart() throws Exception {
    Path a = SyntheticDataset.write(dir.resolve("hospital-a"), 16, 1, false);
    Path b = SyntheticDataset.write(dir.resolve("hospital-b"), 8, 2, false);
    Dataset both = DatasetReader.readAll(List.of(a, b), null, null);
    assertEquals(24, both.samples().size());
    assertEquals(List.of("non-covid", "covid"), both.classes());
    assertEquals(16, both.samples().stream().filter(s -> s.source().equals("hospital-a")).count());
    // Both sources have a group called scan0-...: after merging they are different groups.
    Set<String> groupsA = new HashSet<>();
    Set<String> groupsB = new HashSet<>();
    for (Sample s : both.samples()) {
      (s.source().equals("hospital-a") ? groupsA : groupsB).add(s.group());
      assertTrue(s.group().startsWith(s.source() + "/"), s.group());
    }
    assertTrue(groupsA.stream().noneMatch(groupsB::contains));
    Files.writeString(b.resolve("manifest.csv"), "path,label,group\ncovid/img_0000.png,pneumonia,g1\n", java.nio.charset.StandardCharsets.UTF_8);
    Exception e = assertThrows(Exception.class, () -> DatasetReader.readAll(List.of(a, b), null, List.of("non-covid", "covid")));
    assertTrue(e.getMessage().contains("pneumonia"), e.getMessage());
  }

  @Test
  void manifestsWrittenBySpreadsheetsAreRead() throws Exception {
    // A quoted field with a comma, a doubled quote and a newline, a byte-order mark, CRLF line ends.
    Path root = SyntheticDataset.write(dir.resolve("sheet"), 8, 3, false);
    List<String[]> rows = org.ctnet.trainer.data.Csv.read(root.resolve("manifest.csv"));
    StringBuilder csv = new StringBuilder("\uFEFFpath,label,group,note\r\n");
    for (String[] r : rows.subList(1, rows.size())) {
      csv.append(r[0]).append(',').append(r[1]).append(',').append(r[2])
          .append(",\"seen by Dr. \"\"A\"\", ward 3\nsecond line\"\r\n");
    }
    Files.writeString(root.resolve("manifest.csv"), csv, java.nio.charset.StandardCharsets.UTF_8);
    Dataset d = DatasetReader.read(root, null, null);
    assertEquals(8, d.samples().size());
    assertTrue(d.hasGroups());
    assertEquals(rows.get(1)[2], d.samples().get(0).group().substring(2), "group read from its column");
    List<String[]> back = org.ctnet.trainer.data.Csv.read(root.resolve("manifest.csv"));
    assertEquals("seen by Dr. \"A\", ward 3\nsecond line", back.get(1)[3]);
    assertEquals("path", back.get(0)[0], "byte-order mark dropped");
  }

  @Test
  void aSmallSourceIsRepeatedUntilItWeighsAtLeastHalfTheLargest() throws Exception {
    Path a = SyntheticDataset.write(dir.resolve("big"), 40, 1, false);
    Path b = SyntheticDataset.write(dir.resolve("small"), 8, 2, false);
    Dataset both = DatasetReader.readAll(List.of(a, b), null, null);
    var store = org.ctnet.trainer.data.ImageStore.load(both,
        new org.ctnet.graph.preprocess.ImagePreprocessor(org.ctnet.graph.preprocess.Preprocessing.forInput(32, 32, 1),
            1 << 20), true, done -> { });
    int[] repeats = org.ctnet.trainer.train.EpochPlan.sourceRepeats(store);
    int[] entries = org.ctnet.trainer.train.EpochPlan.ownEntries(store.size(), 2, repeats);
    int small = 0;
    int big = 0;
    for (int e : entries) {
      if (store.sample(e).source().equals("small")) {
        small++;
      } else {
        big++;
      }
    }
    assertEquals(2 * 40, big, "the large source keeps its copies");
    assertEquals(2 * 8 * 2, small, "40 / (2 * 8) = 2 repeats of the small source");
    for (int i = 0; i < store.size(); i++) {
      assertEquals(i, entries[i], "the first entries are every image once (unaugmented)");
    }
  }

  @Test
  void patientDrawsAreNestedBalancedAndKeepValidationPatientsApart() throws Exception {
    Dataset data = DatasetReader.read(SyntheticDataset.write(dir.resolve("d"), 96, 4, false), null, null);
    PatientDraws draws = new PatientDraws(data);
    int groupCount = groups(data).size();
    assertEquals(groupCount, draws.groupCount());
    List<String> order = draws.order(5);
    assertEquals(groupCount, new HashSet<>(order).size());
    assertNotEquals(order, draws.order(6), "repeats draw different patients");
    PatientDraws.Draw small = draws.draw(6, 5);
    PatientDraws.Draw large = draws.draw(12, 5);
    Set<String> smallGroups = groups(small.train());
    smallGroups.addAll(groups(small.validation()));
    Set<String> largeGroups = groups(large.train());
    largeGroups.addAll(groups(large.validation()));
    assertEquals(6, smallGroups.size());
    assertTrue(largeGroups.containsAll(smallGroups), "a larger budget contains the smaller one");
    assertTrue(groups(large.train()).stream().noneMatch(groups(large.validation())::contains));
    assertEquals(2, large.validation().classCounts().size(), "validation sees both classes");
    long otherGroups = groups(large.train()).stream().filter(g -> g.endsWith("-non-covid")).count();
    long covidGroups = groups(large.train()).size() - otherGroups;
    assertTrue(Math.abs(covidGroups - otherGroups) <= 1, covidGroups + " vs " + otherGroups + " groups per class");
    assertThrows(IllegalArgumentException.class, () -> draws.draw(2, 1));
  }

  private static Set<String> groups(Dataset d) {
    Set<String> g = new HashSet<>();
    d.samples().forEach(s -> g.add(s.group()));
    return g;
  }

  @Test
  void sourceShiftAugmentationIsDeterministicBoundedAndChangesTheImage() {
    int size = 64;
    float[] in = new float[size * size];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        in[y * size + x] = (float) (0.5 + 0.4 * Math.sin(x / 5.0) * Math.cos(y / 7.0));
      }
    }
    float[] a = new float[in.length];
    float[] b = new float[in.length];
    Augmentation.SOURCE_SHIFT.apply(in, a, size, size, 42);
    Augmentation.SOURCE_SHIFT.apply(in, b, size, size, 42);
    assertArrayEquals(a, b, "same seed, same image");
    int changed = 0;
    for (long seed = 0; seed < 20; seed++) {
      Augmentation.SOURCE_SHIFT.apply(in, a, size, size, seed);
      double diff = 0;
      for (int i = 0; i < a.length; i++) {
        assertTrue(a[i] >= 0 && a[i] <= 1, "pixel " + a[i]);
        diff += Math.abs(a[i] - in[i]);
      }
      changed += diff / a.length > 0.01 ? 1 : 0;
    }
    assertEquals(20, changed);
    // The paper's augmentation with every range at zero is the identity.
    new Augmentation(2, 0, 0, 0, 0, 0).apply(in, a, size, size, 1);
    assertArrayEquals(in, a, 1e-6f);
    assertThrows(IllegalArgumentException.class,
        () -> new Augmentation(2, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), "crop area 0");
  }
}
