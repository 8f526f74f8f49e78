package org.ctnet.graph.preprocess;

import org.ctnet.dicom.DicomGeometry;
import org.ctnet.dicom.DicomReader;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * The Java side of the preprocessing contract ({@link Preprocessing}): decode, grey, resize with
 * the same arithmetic as TensorFlow's {@code ResizeBilinear(half_pixel_centers=true)}, scale to
 * [0, 1]. For grey PNGs it matches the {@code serving_bytes} signature bit for bit; colour inputs
 * are reduced with ITU-R 601 luma.
 */
public final class ImagePreprocessor {
  private final Preprocessing preprocessing;
  private final long maxPixels;

  /**
   * @param maxPixels refuse images with more pixels than this, judged from the header before the
   *     pixels are decoded (decompression bombs)
   */
  public ImagePreprocessor(Preprocessing preprocessing, long maxPixels) {
    this.preprocessing = preprocessing;
    this.maxPixels = maxPixels;
  }

  /** The largest image, in pixels, this preprocessor decodes. */
  public long maxPixels() {
    return maxPixels;
  }

  public Preprocessing preprocessing() {
    return preprocessing;
  }

  /**
   * The heap that decoding {@code encoded} in Java would take at its peak, judged from the header
   * alone: the decoded raster (bands × bytes per sample, or DICOM's stored values per frame) plus
   * the grey image made from it. A server budgets concurrent decodes with it.
   */
  public static long decodeBytes(byte[] encoded) throws ImageDecodeException {
    if (encoded == null || encoded.length == 0) {
      throw new ImageDecodeException("empty image");
    }
    if (DicomReader.looksLikeDicom(encoded)) {
      DicomGeometry g = DicomDecoding.header(encoded).geometry();
      return g.pixels() * Integer.BYTES + (long) g.rows() * g.columns() * Float.BYTES + encoded.length;
    }
    return withReader(encoded, reader -> {
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        long bytesPerPixel = 4; // an ARGB int when the type is unknown
        Iterator<javax.imageio.ImageTypeSpecifier> types = reader.getImageTypes(0);
        if (types != null && types.hasNext()) {
          java.awt.image.SampleModel model = types.next().getSampleModel(1, 1);
          long bits = 0;
          for (int band = 0; band < model.getNumBands(); band++) {
            bits += model.getSampleSize(band);
          }
          bytesPerPixel = Math.max(1, (bits + 7) / 8);
        }
        return pixels * (bytesPerPixel + Float.BYTES);
    });
  }

  /** What to do with an image reader positioned on the encoded bytes. */
  @FunctionalInterface
  private interface ReaderAction<T> {
    T apply(ImageReader reader) throws IOException;
  }

  /** Runs {@code action} with the ImageIO reader for {@code encoded}; any failure is an ImageDecodeException. */
  private static <T> T withReader(byte[] encoded, ReaderAction<T> action) throws ImageDecodeException {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new ImageDecodeException("not a PNG, JPEG, BMP, GIF, TIFF or DICOM image");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        return action.apply(reader);
      } finally {
        reader.dispose();
      }
    } catch (ImageDecodeException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new ImageDecodeException("unreadable image: " + e.getMessage(), e);
    }
  }

  /** Decodes PNG/JPEG/BMP/GIF bytes (or DICOM, see {@link DicomReader}) into grey levels 0..255. */
  public GreyImage decode(byte[] encoded) throws ImageDecodeException {
    if (encoded == null || encoded.length == 0) {
      throw new ImageDecodeException("empty image");
    }
    if (DicomReader.looksLikeDicom(encoded)) {
      return DicomDecoding.windowed(DicomDecoding.read(encoded, maxPixels), 0, preprocessing.windowCenter(),
          preprocessing.windowWidth());
    }
    return withReader(encoded, reader -> {
      long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
      if (pixels > maxPixels) {
        throw new ImageTooLargeException("image has " + reader.getWidth(0) + "x" + reader.getHeight(0)
            + " = " + pixels + " pixels, more than the limit of " + maxPixels);
      }
      return toGrey(reader.read(0));
    });
  }

  /** Grey levels of a decoded image: the single band, or the luma of the colour bands. */
  public static GreyImage toGrey(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    Raster raster = image.getRaster();
    int bands = raster.getNumBands();
    int bits = image.getColorModel().getComponentSize(0);
    float[] out = new float[w * h];
    boolean indexed = image.getColorModel() instanceof java.awt.image.IndexColorModel;
    if (!indexed && (bands == 1 || bands == 2)) {
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          out[y * w + x] = bits > 8 ? (row[x] >> (bits - 8)) : row[x];
        }
      }
    } else {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int rgb = image.getRGB(x, y);
          int r = (rgb >> 16) & 0xff;
          int g = (rgb >> 8) & 0xff;
          int b = rgb & 0xff;
          out[y * w + x] = (r == g && g == b) ? r : Math.round(0.299f * r + 0.587f * g + 0.114f * b);
        }
      }
    }
    return new GreyImage(w, h, out);
  }

  /** The part of {@code image} that becomes the model input under this contract's framing. */
  public BodyFrame frame(GreyImage image) {
    return preprocessing.framing() == Framing.BODY ? BodyFrame.find(image) : BodyFrame.whole(image.width(), image.height());
  }

  /** Frame, resize to the model input and scale to [0, 1]: the model's input pixels for one image. */
  public float[] toModelInput(GreyImage image) {
    return toModelInput(image, frame(image));
  }

  /**
   * The model input of {@code image} under a frame already found for it ({@link #frame}): the frame's
   * region resized, its levels stretched to [0, 1] (the whole frame's stretch is a division by 255).
   */
  public float[] toModelInput(GreyImage image, BodyFrame frame) {
    float[] resized = resizeBilinear(frame.crop(image), preprocessing.height(), preprocessing.width());
    int channels = preprocessing.channels();
    float[] out = new float[resized.length * channels];
    for (int i = 0; i < resized.length; i++) {
      float v = frame.stretch(resized[i]);
      for (int c = 0; c < channels; c++) {
        out[i * channels + c] = v;
      }
    }
    return out;
  }

  public float[] toModelInput(byte[] encoded) throws ImageDecodeException {
    return toModelInput(decode(encoded));
  }

  /**
   * TensorFlow's ResizeBilinear with half-pixel centres, in the same float arithmetic: source
   * coordinate (i + 0.5)·scale − 0.5, lower = max(floor, 0), upper = min(ceil, size − 1).
   */
  public static float[] resizeBilinear(GreyImage image, int outHeight, int outWidth) {
    int inH = image.height();
    int inW = image.width();
    float[] src = image.pixels();
    float scaleY = (float) inH / outHeight;
    float scaleX = (float) inW / outWidth;
    int[] xLower = new int[outWidth];
    int[] xUpper = new int[outWidth];
    float[] xLerp = new float[outWidth];
    for (int x = 0; x < outWidth; x++) {
      float in = (x + 0.5f) * scaleX - 0.5f;
      float floor = (float) Math.floor(in);
      xLower[x] = Math.max((int) floor, 0);
      xUpper[x] = Math.min((int) Math.ceil(in), inW - 1);
      xLerp[x] = in - floor;
    }
    float[] out = new float[outHeight * outWidth];
    for (int y = 0; y < outHeight; y++) {
      float in = (y + 0.5f) * scaleY - 0.5f;
      float floor = (float) Math.floor(in);
      int yLower = Math.max((int) floor, 0);
      int yUpper = Math.min((int) Math.ceil(in), inH - 1);
      float yLerp = in - floor;
      for (int x = 0; x < outWidth; x++) {
        float topLeft = src[yLower * inW + xLower[x]];
        float topRight = src[yLower * inW + xUpper[x]];
        float bottomLeft = src[yUpper * inW + xLower[x]];
        float bottomRight = src[yUpper * inW + xUpper[x]];
        float top = topLeft + (topRight - topLeft) * xLerp[x];
        float bottom = bottomLeft + (bottomRight - bottomLeft) * xLerp[x];
        out[y * outWidth + x] = top + (bottom - top) * yLerp;
      }
    }
    return out;
  }
}
