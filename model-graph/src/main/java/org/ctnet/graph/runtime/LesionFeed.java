package org.ctnet.graph.runtime;

/**
 * Per-image inputs of lesion guidance for one step ({@code TrainingSpec.lesionGuidance}).
 *
 * @param exampleWeights weight of each image's classification loss (0 = the image only guides the map)
 * @param masks lesion area fraction per cell of {@link ModelSession#lesionGrid()}, n × rows × cols, row-major
 * @param weights weight of each image's lesion term (0 = no mask)
 * @param lungMasks lung-field fraction per cell of {@link ModelSession#lesionGrid()} (lesion head only, else null)
 * @param lungWeights weight of each image's lung-field term (lesion head only, else null)
 */
public record LesionFeed(float[] exampleWeights, float[] masks, float[] weights, float[] lungMasks,
    float[] lungWeights) {
  /** Grad-CAM guidance's feed: no lung field. */
  public LesionFeed(float[] exampleWeights, float[] masks, float[] weights) {
    this(exampleWeights, masks, weights, null, null);
  }

  /** Refuses a feed that does not fit n images on the grid (and, for a lesion head, lacks its lung masks). */
  void check(int n, int[] grid, boolean lesionHead) {
    if (exampleWeights.length != n || weights.length != n || masks.length != (long) n * grid[0] * grid[1]) {
      throw new IllegalArgumentException("lesion feed for " + n + " images on a " + grid[0] + "x" + grid[1]
          + " grid needs " + n + " example weights, " + n + " lesion weights and " + ((long) n * grid[0] * grid[1])
          + " mask cells");
    }
    if (lesionHead && (lungMasks == null || lungWeights == null || lungMasks.length != masks.length
        || lungWeights.length != n)) {
      throw new IllegalArgumentException("a lesion head's feed needs lung masks and weights shaped like the lesion's");
    }
  }
}
