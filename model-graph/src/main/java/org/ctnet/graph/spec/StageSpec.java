package org.ctnet.graph.spec;

/**
 * One stage: {@code residualUnits} pre-activation bottleneck units (the first one carries the
 * stride and the change of width), then {@code attentionModules} attention modules.
 *
 * @param outChannels output channels of every unit in the stage (bottleneck width is a quarter)
 * @param stride stride of the first residual unit (1 or 2)
 * @param residualUnits plain residual units at the start of the stage (at least 1)
 * @param attentionModules attention modules after them (0 for a plain stage)
 * @param attention p/t/r and mask depth of the attention modules (ignored when there are none)
 */
public record StageSpec(
    int outChannels, int stride, int residualUnits, int attentionModules, AttentionSpec attention) {
  public StageSpec {
    SpecCheck.positive("stage.outChannels", outChannels);
    if (stride != 1 && stride != 2) {
      throw new IllegalArgumentException("stage.stride must be 1 or 2, got " + stride);
    }
    SpecCheck.positive("stage.residualUnits", residualUnits);
    SpecCheck.nonNegative("stage.attentionModules", attentionModules);
    if (outChannels % 4 != 0) {
      throw new IllegalArgumentException(
          "stage.outChannels must be divisible by 4 (bottleneck width), got " + outChannels);
    }
    if (attentionModules > 0) {
      SpecCheck.notNull("stage.attention", attention);
    }
  }

  public int bottleneckChannels() {
    return outChannels / 4;
  }
}
