package org.ctnet.server;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.runtime.ModelSession;

/**
 * Runs every signature the scheduler uses (serving_default, serving_bytes, explain) at every batch
 * size it forms (1 to max-batch-size) once, before a version is marked AVAILABLE. The first run of a
 * fetch set pays TensorFlow's graph optimisation and the first run of a shape pays oneDNN's kernel
 * set-up; without this, the first requests after a (re)load carry those costs.
 */
final class WarmUp {
  private WarmUp() {}

  /** What the warm-up ran: session runs and how long they took. */
  record Report(int runs, long millis) {}

  static Report run(ModelSession session, int maxBatch) {
    long start = System.nanoTime();
    int pixels = session.spec().inputShape().pixels();
    byte[] png = greyPng(session.spec().inputWidth(), session.spec().inputHeight());
    boolean bytes = session.signatures().containsKey(ModelNames.SERVING_BYTES);
    boolean explain = session.signatures().containsKey(ModelNames.EXPLAIN);
    int runs = 0;
    for (int n = 1; n <= maxBatch; n++) {
      float[] images = new float[n * pixels];
      Arrays.fill(images, 0.5f);
      session.predict(images, n);
      runs++;
      if (bytes) {
        List<byte[]> encoded = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          encoded.add(png);
        }
        session.predictEncoded(encoded);
        runs++;
      }
      if (explain) {
        int[] classes = new int[n];
        Arrays.fill(classes, -1);
        session.explain(images, n, classes);
        runs++;
      }
    }
    return new Report(runs, (System.nanoTime() - start) / 1_000_000);
  }

  private static byte[] greyPng(int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.getRaster().setSample(x, y, 0, 128);
      }
    }
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
