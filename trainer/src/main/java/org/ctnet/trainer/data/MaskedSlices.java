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
 * optionally {@code orientation_fix} (what still has to be done to image and mask to bring the spine
 * to the bottom: {@code none}, {@code transpose}, or {@code transpose_flip}, a transposition then a
 * top–bottom flip), {@code patient_id} (or {@code group}) and {@code mask_kind} (a kind starting
 * with {@code pseudo} marks a model-generated mask). A mask must have its image's size; a mask with
 * grey levels other than 0 and 255 is thresholded at 127 and reported (see {@link #nonBinaryMasks}).
 */
public final class MaskedSlices {
  /** What a manifest's {@code orientation_fix} asks to be done before use. */
  public enum Orientation {
    NONE, TRANSPOSE, TRANSPOSE_FLIP;

    /** The column's value: empty or {@code none}, {@code transpose}, {@code transpose_flip}; null when unknown. */
    static Orientation parse(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "", "none" -> NONE;
        case "transpose" -> TRANSPOSE;
        case "transpose_flip" -> TRANSPOSE_FLIP;
        default -> null;
      };
    }

    GreyImage apply(GreyImage image) {
      return switch (this) {
        case NONE -> image;
        case TRANSPOSE -> transpose(image);
        case TRANSPOSE_FLIP -> flipTopBottom(transpose(image));
      };
    }
  }

  /** One slice: where its files are, how to orient them, whose it is and how its mask was made. */
  public record Slice(Path image, Path mask, Orientation orientation, String group, boolean pseudoMask) {
    /** True when the slice is turned before use. */
    public boolean turned() {
      return orientation != Orientation.NONE;
    }
  }

  private static final java.util.concurrent.atomic.AtomicInteger NON_BINARY = new java.util.concurrent.atomic.AtomicInteger();

  /** How many masks read so far in this process had grey levels other than 0 and 255 (thresholded at 127). */
  public static int nonBinaryMasks() {
    return NON_BINARY.get();
  }

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
      Orientation fix = orientation < 0 ? Orientation.NONE : Orientation.parse(row[orientation]);
      if (fix == null) {
        throw new IOException(manifest + " line " + (r + 1) + ": orientation_fix must be none, transpose, transpose_flip "
            + "or empty, got '" + row[orientation] + "'");
      }
      slices.add(new Slice(folder.resolve(row[image]), folder.resolve(row[mask]), applyOrientationFix ? fix : Orientation.NONE,
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
      image = slice.orientation().apply(decoded);
    } catch (ImageDecodeException e) {
      throw new IOException("unreadable image " + slice.image() + ": " + e.getMessage(), e);
    }
    BodyFrame frame = preprocessor.frame(image);
    return new ModelView(preprocessor.toModelInput(image, frame),
        mask(slice, frame, preprocessor.preprocessing(), image.width(), image.height()));
  }

  private static boolean[] mask(Slice slice, BodyFrame frame, Preprocessing preprocessing, int imageWidth,
      int imageHeight) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(slice.mask())));
    if (image == null) {
      throw new IOException("unreadable mask " + slice.mask());
    }
    GreyImage grey = slice.orientation().apply(ImagePreprocessor.toGrey(image));
    if (grey.width() != imageWidth || grey.height() != imageHeight) {
      throw new IOException("mask " + slice.mask() + " is " + grey.width() + "x" + grey.height() + ", its image "
          + slice.image() + " is " + imageWidth + "x" + imageHeight + " (after orientation_fix " + slice.orientation()
          + "): a mask must have its image's size");
    }
    float[] levels = grey.pixels();
    for (float v : levels) {
      if (v > 0.5f && v < 254.5f) {
        // Anti-aliased or resampled masks are common (the pseudo masks are): said for the first few,
        // counted for all (nonBinaryMasks), so a log is not one line per slice.
        if (NON_BINARY.incrementAndGet() <= 3) {
          System.err.println("warning: mask " + slice.mask() + " is not binary (grey levels between 0 and 255); "
              + "thresholded at 127" + (NON_BINARY.get() == 3 ? " (further such masks are counted, not listed)" : ""));
        }
        break;
      }
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

  static GreyImage flipTopBottom(GreyImage image) {
    int w = image.width();
    int h = image.height();
    float[] out = new float[w * h];
    for (int y = 0; y < h; y++) {
      System.arraycopy(image.pixels(), (h - 1 - y) * w, out, y * w, w);
    }
    return new GreyImage(w, h, out);
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
