package org.ctnet.graph.spec;

/**
 * The stem: one convolution followed by batch norm and ReLU, then an optional 3x3/2 max pool.
 *
 * @param filters output channels of the stem convolution
 * @param kernelSize square kernel size
 * @param stride convolution stride
 * @param maxPool whether a 3x3 stride-2 max pool follows
 */
public record StemSpec(int filters, int kernelSize, int stride, boolean maxPool) {
  public StemSpec {
    SpecCheck.positive("stem.filters", filters);
    SpecCheck.positive("stem.kernelSize", kernelSize);
    SpecCheck.positive("stem.stride", stride);
  }

  /** Total downsampling factor of the stem. */
  public int reduction() {
    return stride * (maxPool ? 2 : 1);
  }
}
