package org.ctnet.trainer.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import org.ctnet.graph.preprocess.BodyFrame;
import org.ctnet.graph.preprocess.GreyImage;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.render.HeatmapRenderer;

/**
 * Slices with binary infection masks, from a folder whose {@code manifest.csv} has the columns
 * {@code image} and {@code mask} (paths relative to the folder; mask grey &gt; 127 = infection) and
 * optionally {@code orientation_fix} ({@code transpose}: image and mask are stored transposed and
 * are turned back before use, unless the caller says the column records a fix already applied, as
 * in medseg-masks-dev), {@code patient_id} (or {@code group}) and {@code mask_kind} (a kind
 * starting with {@code pseudo} marks a model-generated mask).
 */
public final class MaskedSlices {
  /** One slice: where its files are, how to orient them, whose it is and how its mask was made. */
  public record Slice(Path image, Path mask, boolean transpose, String group, boolean pseudoMask) {}

  private MaskedSlices() {}

  /**
   * Every slice of the folder's manifest, in manifest order.
   *
   * @param applyOrientationFix turn slices back as {@code orientation_fix} says (false: the
   *     column is ignored, for manifests that record a transposition already applied)
   */
  public static List<Slice> read(Path folder, boolean applyOrientationFix) throws IOException {
    Path manifest = folder.resolve("manifest.csv");
    if (!Files.isRegularFile(manifest)) {
      throw new IOException("no manifest.csv in " + folder + " (columns image,mask)");
    }
    List<String[]> all = Csv.read(manifest);
    if (all.isEmpty()) {
      throw new IOException(manifest + " is empty");
    }
    List<String> header = List.of(all.get(0));
    int image = header.indexOf("image");
    int mask = header.indexOf("mask");
    if (image < 0 || mask < 0) {
      throw new IOException(manifest + " needs 'image' and 'mask' columns");
    }
    int orientation = header.indexOf("orientation_fix");
    int group = header.indexOf("patient_id") >= 0 ? header.indexOf("patient_id") : header.indexOf("group");
    int kind = header.indexOf("mask_kind");
    List<Slice> slices = new ArrayList<>();
    for (int r = 1; r < all.size(); r++) {
      String[] row = all.get(r);
      if (row.length < header.size()) {
        throw new IOException(manifest + " line " + (r + 1) + ": " + row.length + " columns, the header has " + header.size());
      }
      String fix = orientation < 0 ? "" : row[orientation].trim().toLowerCase(Locale.ROOT);
      if (!fix.isEmpty() && !fix.equals("none") && !fix.equals("transpose")) {
        throw new IOException(manifest + " line " + (r + 1) + ": orientation_fix must be transpose, none or empty, got '"
            + row[orientation] + "'");
      }
      slices.add(new Slice(folder.resolve(row[image]), folder.resolve(row[mask]), applyOrientationFix && fix.equals("transpose"),
          group < 0 ? "" : row[group],
          kind >= 0 && row[kind].trim().toLowerCase(Locale.ROOT).startsWith("pseudo")));
    }
    return slices;
  }

  /** The slices whose group is (keep = true) or is not (keep = false) in {@code groups}. */
  public static List<Slice> filter(List<Slice> slices, Collection<String> groups, boolean keep) {
    Set<String> set = Set.copyOf(groups);
    return slices.stream().filter(s -> set.contains(s.group()) == keep).toList();
  }

  /** A masked slice as the model sees it: its input pixels and its mask on the same grid. */
  public record ModelView(float[] input, boolean[] mask) {}

  /**
   * The slice's image as model input and its mask cut to the same frame (the whole image, or its
   * body box), stretched like the image and sampled by nearest neighbour; both turned back first when
   * stored transposed. The image is decoded and framed once.
   */
  public static ModelView read(Slice slice, ImagePreprocessor preprocessor) throws IOException {
    GreyImage image;
    try {
      GreyImage decoded = preprocessor.decode(Files.readAllBytes(slice.image()));
      image = slice.transpose() ? transpose(decoded) : decoded;
    } catch (ImageDecodeException e) {
      throw new IOException("unreadable image " + slice.image() + ": " + e.getMessage(), e);
    }
    BodyFrame frame = preprocessor.frame(image);
    return new ModelView(preprocessor.toModelInput(image, frame), mask(slice, frame, preprocessor.preprocessing()));
  }

  private static boolean[] mask(Slice slice, BodyFrame frame, Preprocessing preprocessing) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(slice.mask())));
    if (image == null) {
      throw new IOException("unreadable mask " + slice.mask());
    }
    GreyImage grey = ImagePreprocessor.toGrey(image);
    if (slice.transpose()) {
      grey = transpose(grey);
    }
    if (frame.x() + frame.width() > grey.width() || frame.y() + frame.height() > grey.height()) {
      throw new IOException("mask " + slice.mask() + " is " + grey.width() + "x" + grey.height()
          + ", smaller than its image's frame " + frame);
    }
    int width = preprocessing.width();
    int height = preprocessing.height();
    boolean[] out = new boolean[width * height];
    for (int y = 0; y < height; y++) {
      int sy = frame.y() + Math.min(frame.height() - 1, (int) ((y + 0.5) * frame.height() / height));
      for (int x = 0; x < width; x++) {
        int sx = frame.x() + Math.min(frame.width() - 1, (int) ((x + 0.5) * frame.width() / width));
        out[y * width + x] = grey.at(sx, sy) > 127;
      }
    }
    return out;
  }

  /** Share of each cell of a rows × cols grid covered by the mask (area average, as the heatmap grids are). */
  public static float[] gridFractions(boolean[] mask, int width, int height, int rows, int cols) {
    float[] values = new float[mask.length];
    for (int i = 0; i < mask.length; i++) {
      values[i] = mask[i] ? 1f : 0f;
    }
    float[][] grid = HeatmapRenderer.grid(values, width, height, rows, cols);
    float[] out = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(grid[r], 0, out, r * cols, cols);
    }
    return out;
  }

  static GreyImage transpose(GreyImage image) {
    int w = image.width();
    int h = image.height();
    float[] out = new float[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        out[x * h + y] = image.pixels()[y * w + x];
      }
    }
    return new GreyImage(h, w, out);
  }
}
