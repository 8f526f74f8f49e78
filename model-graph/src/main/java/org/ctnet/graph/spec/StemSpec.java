package org.ctnet.graph.spec;

/**
 * The stem: an optional average pooling of the image, one convolution followed by batch norm and
 * ReLU, then an optional 3x3/2 max pool.
 *
 * @param filters output channels of the stem convolution
 * @param kernelSize square kernel size
 * @param stride convolution stride
 * @param maxPool whether a 3x3 stride-2 max pool follows
 * @param inputPool side of the average pooling (stride = side) applied to the image before the
 *     convolution; 1 = none. With 2 a 224×224 input is seen by the network at 112×112 (each pixel
 *     the mean of a 2×2 block, what a half-pixel bilinear resize to half the size gives), so a model
 *     can run at the cheaper resolution behind the 224×224 interface clients already send. Specs
 *     written before this field existed have no value for it and read as 1.
 */
public record StemSpec(int filters, int kernelSize, int stride, boolean maxPool, int inputPool) {
  public StemSpec {
    SpecCheck.positive("stem.filters", filters);
    SpecCheck.positive("stem.kernelSize", kernelSize);
    SpecCheck.positive("stem.stride", stride);
    SpecCheck.positive("stem.inputPool", inputPool);
  }

  /** Side of the image the stem convolution sees, for an input side. */
  public int pooledSize(int inputSize) {
    return NetworkSpec.ceilDiv(inputSize, inputPool);
  }

  /** Side of the stem's output, for an input side (every step pads SAME, so each rounds up). */
  public int outputSize(int inputSize) {
    int convolved = NetworkSpec.ceilDiv(pooledSize(inputSize), stride);
    return maxPool ? NetworkSpec.ceilDiv(convolved, 2) : convolved;
  }
}
