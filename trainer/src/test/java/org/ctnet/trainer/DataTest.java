package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.ctnet.trainer.data.Augmentation;
import org.ctnet.trainer.data.Dataset;
import org.ctnet.trainer.data.DatasetReader;
import org.ctnet.trainer.data.Sample;
import org.ctnet.trainer.data.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
  @TempDir Path dir;

  private Path manifest(int groupsPerClass, int slicesPerGroup) throws IOException {
    StringBuilder sb = new StringBuilder("path,label,pseudo_scan_group,exact_dup_group\n");
    for (String label : List.of("covid", "non-covid")) {
      for (int g = 0; g < groupsPerClass; g++) {
        for (int s = 0; s < slicesPerGroup + g % 3; s++) {
          String dup = label.equals("covid") && g == 0 && s == 0 ? "dup1" : "";
          sb.append(label).append("/g").append(g).append("_").append(s).append(".png,").append(label).append(",")
              .append(label).append("-g").append(g).append(",").append(dup).append("\n");
        }
      }
    }
    // The duplicate of covid-g0's first slice sits in another group: the link must join them.
    sb.append("covid/extra.png,covid,covid-g7,dup1\n");
    Path m = dir.resolve("manifest.csv");
    Files.writeString(m, sb.toString());
    return m;
  }

  @Test
  void manifestGroupsAndClassOrder() throws IOException {
    Dataset d = DatasetReader.read(manifest(10, 4), null, null);
    assertEquals(List.of("non-covid", "covid"), d.classes(), "the negative class first, positive last");
    assertTrue(d.hasGroups());
    Sample extra = d.samples().stream().filter(s -> s.path().endsWith("extra.png")).findFirst().orElseThrow();
    Sample first = d.samples().stream().filter(s -> s.path().endsWith("g0_0.png") && s.label().equals("covid")).findFirst().orElseThrow();
    assertEquals(first.group(), extra.group(), "exact duplicates are linked into one group");
  }

  @Test
  void splitIsReproducibleGroupDisjointAndStratified() throws IOException {
    Dataset d = DatasetReader.read(manifest(20, 5), null, null);
    Split a = Split.of(d, 0.15, 0.15, 42);
    Split b = Split.of(d, 0.15, 0.15, 42);
    assertEquals(a, b);
    assertNotEquals(a.train().samples(), Split.of(d, 0.15, 0.15, 43).train().samples());
    Set<String> train = groups(a.train());
    Set<String> val = groups(a.validation());
    Set<String> test = groups(a.test());
    assertTrue(disjoint(train, val) && disjoint(train, test) && disjoint(val, test), "no group on two sides");
    assertEquals(d.samples().size(), a.train().samples().size() + a.validation().samples().size() + a.test().samples().size());
    for (String cls : d.classes()) {
      long total = d.samples().stream().filter(s -> s.label().equals(cls)).count();
      long inTest = a.test().samples().stream().filter(s -> s.label().equals(cls)).count();
      assertEquals(0.15, (double) inTest / total, 0.06, cls + " share in test");
    }
  }

  @Test
  void foldsKeepGroupsWholeCoverEveryImageOnceAndBalanceTheClasses() throws IOException {
    Dataset d = DatasetReader.read(manifest(20, 5), null, null);
    List<Dataset> folds = Split.folds(d, 5, 42);
    assertEquals(folds, Split.folds(d, 5, 42), "reproducible");
    assertEquals(5, folds.size());
    Set<Sample> seen = new HashSet<>();
    for (int i = 0; i < folds.size(); i++) {
      for (Sample s : folds.get(i).samples()) {
        assertTrue(seen.add(s), "in one fold only: " + s);
      }
      for (int j = i + 1; j < folds.size(); j++) {
        assertTrue(disjoint(groups(folds.get(i)), groups(folds.get(j))), "no group in two folds");
      }
      for (String cls : d.classes()) {
        long total = d.samples().stream().filter(s -> s.label().equals(cls)).count();
        long inFold = folds.get(i).samples().stream().filter(s -> s.label().equals(cls)).count();
        assertEquals(0.2, (double) inFold / total, 0.07, cls + " share in fold " + i);
      }
    }
    assertEquals(new HashSet<>(d.samples()), seen, "every image in some fold");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Split.folds(d, 2, 42)).getMessage().contains("at least 3"));
    // 20 groups per class (one covid group absorbed by a duplicate link) cannot fill 25 folds
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Split.folds(d, 25, 42)).getMessage().contains("fewer than the 25 folds"));
  }

  @Test
  void classFoldersAndClearErrors() throws IOException {
    Files.createDirectories(dir.resolve("imgs/normal"));
    Files.createDirectories(dir.resolve("imgs/abnormal"));
    Files.writeString(dir.resolve("imgs/normal/a.png"), "x");
    Files.writeString(dir.resolve("imgs/abnormal/b.png"), "x");
    Files.writeString(dir.resolve("imgs/abnormal/notes.txt"), "ignored");
    Dataset d = DatasetReader.read(dir.resolve("imgs"), null, null);
    assertEquals(List.of("normal", "abnormal"), d.classes());
    assertEquals(2, d.samples().size());
    assertFalse(d.hasGroups());
    var e = assertThrows(IOException.class, () -> DatasetReader.read(dir.resolve("missing"), null, null));
    assertTrue(e.getMessage().contains("not found"));
    Files.writeString(dir.resolve("bad.csv"), "file,kind\na.png,x\n");
    e = assertThrows(IOException.class, () -> DatasetReader.read(dir.resolve("bad.csv"), null, null));
    assertTrue(e.getMessage().contains("'path' and 'label'"), e.getMessage());
    e = assertThrows(IOException.class, () -> DatasetReader.read(manifest(3, 2), "patient", null));
    assertTrue(e.getMessage().contains("no column 'patient'"), e.getMessage());
  }

  @Test
  void augmentationIsDeterministicAndNeutralSettingsAreIdentity() {
    int h = 16;
    int w = 12;
    float[] in = new float[h * w];
    for (int i = 0; i < in.length; i++) {
      in[i] = (i % 7) / 7f;
    }
    float[] a = new float[in.length];
    float[] b = new float[in.length];
    Augmentation.PAPER.apply(in, a, h, w, 5);
    Augmentation.PAPER.apply(in, b, h, w, 5);
    assertArrayEquals(a, b);
    Augmentation neutral = new Augmentation(2, 0, 0, 0, 0, 0);
    neutral.apply(in, a, h, w, 9);
    assertArrayEquals(in, a, 1e-6f);
    Augmentation mirror = new Augmentation(2, 1, 0, 0, 0, 0);
    mirror.apply(in, a, h, w, 9);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        assertEquals(in[y * w + (w - 1 - x)], a[y * w + x], 1e-6f);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, 0, 0, 0, 0, 0));
  }

  private static Set<String> groups(Dataset d) {
    Set<String> s = new HashSet<>();
    d.samples().forEach(x -> s.add(x.group()));
    return s;
  }

  private static boolean disjoint(Set<String> a, Set<String> b) {
    Set<String> c = new HashSet<>(a);
    c.retainAll(b);
    return c.isEmpty();
  }

  @Test
  void maskGridFractionsAreTheCoveredShareOfEachCell() {
    // 4×4 mask, 2×2 grid: top-left cell fully covered, top-right a quarter, bottom row empty/half.
    boolean[] mask = new boolean[16];
    for (int[] p : new int[][] {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 0}, {0, 2}, {1, 2}}) {
      mask[p[1] * 4 + p[0]] = true;
    }
    assertArrayEquals(new float[] {1f, 0.25f, 0.5f, 0f},
        org.ctnet.trainer.data.MaskedSlices.gridFractions(mask, 4, 4, 2, 2), 1e-6f);
  }
}
