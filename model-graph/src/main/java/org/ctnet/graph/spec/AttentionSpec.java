package org.ctnet.graph.spec;

/**
 * Hyper-parameters of one attention module (Wang et al. 2017, "Residual Attention Network").
 *
 * @param preUnits p: residual units before the split into trunk and mask branch, and again after
 *     the merge
 * @param trunkUnits t: residual units in the trunk branch
 * @param maskUnits r: residual units between adjacent pooling layers of the soft-mask branch
 * @param maskDepth number of max-pool downsamplings in the soft-mask hourglass (Wang et al. use 3,
 *     2 and 1 in stages 1 to 3); the map at the bottom of the hourglass must stay at least 2x2
 */
public record AttentionSpec(int preUnits, int trunkUnits, int maskUnits, int maskDepth) {
  public AttentionSpec {
    SpecCheck.nonNegative("attention.p (preUnits)", preUnits);
    SpecCheck.positive("attention.t (trunkUnits)", trunkUnits);
    SpecCheck.positive("attention.r (maskUnits)", maskUnits);
    SpecCheck.positive("attention.maskDepth", maskDepth);
  }

  /** The paper's configuration: p=1, t=2, r=1. */
  public static AttentionSpec paper(int maskDepth) {
    return new AttentionSpec(1, 2, 1, maskDepth);
  }
}
