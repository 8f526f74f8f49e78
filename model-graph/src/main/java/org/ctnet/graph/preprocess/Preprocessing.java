package org.ctnet.graph.preprocess;

/**
 * The preprocessing contract every consumer of a model applies identically (trainer, the
 * {@code serving_bytes} signature, the server): decode to one grey channel, frame it ({@link Framing}:
 * the whole image, or the body's box with its levels stretched), resize the frame to
 * {@code height × width} (aspect not kept, bilinear with half-pixel centres), scale pixels to
 * [0, 1]. The graph itself then standardises with {@code mean} and {@code std}; DICOM slices are
 * first converted to Hounsfield units and mapped through the lung window to 0..255.
 *
 * @param height model input height
 * @param width model input width
 * @param channels model input channels (1)
 * @param mean value subtracted inside the graph from [0, 1] pixels
 * @param std divisor applied inside the graph after subtracting the mean
 * @param windowCenter lung window level in HU for DICOM
 * @param windowWidth lung window width in HU for DICOM
 * @param framing the part of the image that is resized, and its grey-level normalisation
 */
public record Preprocessing(
    int height, int width, int channels, float mean, float std, double windowCenter, double windowWidth,
    Framing framing) {

  /**
   * The input size is written twice in an exported model (the network spec and preprocessing.json):
   * they must agree, or the server would resize images to a shape the graph refuses.
   */
  public void requireSize(int networkHeight, int networkWidth, int networkChannels) {
    if (height != networkHeight || width != networkWidth || channels != networkChannels) {
      throw new IllegalArgumentException("preprocessing size " + height + "x" + width + "x" + channels
          + " does not match the network input " + networkHeight + "x" + networkWidth + "x" + networkChannels);
    }
  }

  public static final String RESIZE = "bilinear, half-pixel centres, the framed region (aspect not kept)";

  public Preprocessing {
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException("preprocessing size must be positive, got " + height + "x" + width);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("preprocessing channels must be 1 or 3, got " + channels);
    }
    if (!(std > 0)) {
      throw new IllegalArgumentException("preprocessing std must be > 0, got " + std);
    }
    if (!(windowWidth > 0)) {
      throw new IllegalArgumentException("preprocessing windowWidth must be > 0, got " + windowWidth);
    }
    if (framing == null) {
      throw new IllegalArgumentException("preprocessing framing must be whole or body");
    }
  }

  /** The whole image, as models exported before framing existed. */
  public Preprocessing(int height, int width, int channels, float mean, float std, double windowCenter, double windowWidth) {
    this(height, width, channels, mean, std, windowCenter, windowWidth, Framing.WHOLE);
  }

  public Preprocessing withFraming(Framing newFraming) {
    return new Preprocessing(height, width, channels, mean, std, windowCenter, windowWidth, newFraming);
  }

  /** Defaults for a model input size: standardise around mid-grey, lung window W 1500 / L −600. */
  public static Preprocessing forInput(int height, int width, int channels) {
    return new Preprocessing(height, width, channels, 0.5f, 0.25f, -600, 1500);
  }
}
