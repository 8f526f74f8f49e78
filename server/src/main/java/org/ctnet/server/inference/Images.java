package org.ctnet.server.inference;

import java.util.List;

/** A request's images as a protocol adapter read them: pixels already laid out, or encoded files to decode. */
public sealed interface Images {
  /**
   * The one rule for how many images a request may hold, on every protocol: 1..limit, else a bad
   * request (400, INVALID_ARGUMENT: what TF Serving answers for a batch over its limit, and not a
   * code that clients retry).
   */
  static int checkCount(long n, int max) {
    if (n < 1) {
      throw org.ctnet.server.problem.ServingException.badRequest("no images in the request");
    }
    if (n > max) {
      throw org.ctnet.server.problem.ServingException.badRequest(
          n + " images in one request, more than the limit of " + max);
    }
    return (int) n;
  }

  /** {@code count} images of the model's input shape, flattened [n, H, W, C]. */
  record Pixels(float[] values, int count) implements Images {}

  /** PNG, JPEG or DICOM files, one per image. */
  record Encoded(List<byte[]> files) implements Images {}
}
