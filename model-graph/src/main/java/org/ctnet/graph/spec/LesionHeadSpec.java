package org.ctnet.graph.spec;

import java.util.List;

/**
 * A dense lesion head: a light decoder that turns the network's features back into per-pixel maps
 * of COVID-19-type infection (ground-glass opacity, consolidation) and of the lung field, from
 * which the graph derives the lung involvement and its severity category.
 *
 * <p>The decoder starts at the output of stage {@code fromStage} (0-based) and climbs one level per
 * finer resolution the network has below it (the earlier stages' outputs, the stem convolution
 * before its max pool, the image the stem sees): at each level it upsamples bilinearly, concatenates
 * the level's features after batch norm and ReLU, and runs a 3×3 convolution with the level's
 * entry of {@code channels}. A 1×1 convolution gives two logits (lesion, lung) at the resolution of
 * the image the stem sees, upsampled bilinearly to the input.
 *
 * @param fromStage the stage whose output the decoder starts from (0-based)
 * @param channels output channels of each decoder level, deepest first; one per level (see
 *     {@link NetworkSpec#lesionLevels()})
 * @param evidence whether the classifier sees the lesion evidence: the features pooled with the
 *     lesion map as weights, the involvement and the peak lesion probability beside the plain
 *     average pool (all without gradient into the lesion head, which learns from masks only)
 */
public record LesionHeadSpec(int fromStage, List<Integer> channels, boolean evidence) {
  public LesionHeadSpec {
    if (fromStage < 0) {
      throw new IllegalArgumentException("lesionHead.fromStage must be >= 0, got " + fromStage);
    }
    SpecCheck.notNull("lesionHead.channels", channels);
    channels = List.copyOf(channels);
    for (int c : channels) {
      SpecCheck.positive("lesionHead.channels[]", c);
    }
  }
}
