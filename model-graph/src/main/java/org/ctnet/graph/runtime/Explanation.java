package org.ctnet.graph.runtime;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import org.ctnet.graph.cam.CamMethod;

/**
 * The explain signature's outputs for a batch.
 *
 * @param prediction probabilities and logits
 * @param targetClass the class each map explains
 * @param maps per method, per image
 */
public record Explanation(Prediction prediction, int[] targetClass, Map<CamMethod, Maps> maps) {

  /** Images [from, to) of this batch, e.g. one request's share of a micro-batch. */
  public Explanation rows(int from, int to) {
    Map<CamMethod, Maps> sliced = new EnumMap<>(CamMethod.class);
    maps.forEach((method, m) -> sliced.put(method, new Maps(Arrays.copyOfRange(m.cam(), from, to), m.camHeight(), m.camWidth(),
        Arrays.copyOfRange(m.heatmap(), from, to), m.height(), m.width(), Arrays.copyOfRange(m.hasEvidence(), from, to))));
    return new Explanation(prediction.rows(from, to), Arrays.copyOfRange(targetClass, from, to), sliced);
  }

  /**
   * One method's maps for the batch, each normalised to [0, 1] per image.
   *
   * @param cam [n][h*w] at feature resolution
   * @param camHeight feature-map height
   * @param camWidth feature-map width
   * @param heatmap [n][H*W] at input resolution
   * @param height input height
   * @param width input width
   * @param hasEvidence false where the map is all zero (no positive evidence for the class)
   */
  public record Maps(
      float[][] cam, int camHeight, int camWidth, float[][] heatmap, int height, int width, boolean[] hasEvidence) {}
}
