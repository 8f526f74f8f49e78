package org.ctnet.graph.blocks;

import org.ctnet.graph.layers.Layers;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.StageSpec;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The whole network as a fold of the spec's stages over the blocks: stem, then per stage its
 * residual units and attention modules, then a final BN-ReLU and the classifier head. Every block
 * output is recorded as a named feature layer (see {@link NetworkSpec#featureLayerNames()}). With a
 * lesion head, its decoder runs on the recorded blocks (its logits recorded too), and the head may
 * see its evidence.
 */
public final class ResidualAttentionNetwork {
  private ResidualAttentionNetwork() {}

  /** Builds one path and returns the logits [N, numClasses]. */
  public static Operand<TFloat32> logits(Layers root, NetworkSpec spec, Operand<TFloat32> images) {
    Layers stem = root.child("stem");
    Operand<TFloat32> x = stem.recordFeature(Stem.apply(stem, images, spec.stem()));
    for (int s = 0; s < spec.stages().size(); s++) {
      StageSpec stage = spec.stages().get(s);
      Layers stageLayers = root.child(NetworkSpec.stageScope(s));
      for (int u = 0; u < stage.residualUnits(); u++) {
        Layers unit = stageLayers.child(NetworkSpec.unitScope(u));
        x = unit.recordFeature(
            ResidualUnit.apply(unit, x, stage.outChannels(), u == 0 ? stage.stride() : 1));
      }
      for (int a = 0; a < stage.attentionModules(); a++) {
        Layers module = stageLayers.child(NetworkSpec.attentionScope(a));
        x = module.recordFeature(AttentionModule.apply(module, x, stage.attention()));
      }
    }
    Layers finalBlock = root.child(NetworkSpec.FINAL_FEATURES);
    x = finalBlock.recordFeature(finalBlock.batchNormRelu(x, "bn"));
    Operand<TFloat32> evidence = null;
    if (spec.lesionHead() != null) {
      Layers lesion = root.child("lesion");
      Operand<TFloat32> lesionLogits = LesionDecoder.apply(lesion, lesion.record(), spec);
      lesion.record().setLesionLogits(lesionLogits);
      if (spec.lesionHead().evidence()) {
        evidence = LesionDecoder.evidence(lesion, lesionLogits, x);
      }
    }
    return ClassifierHead.apply(
        root.child("head"), x, evidence, spec.head(), spec.numClasses(), spec.dropout());
  }
}
