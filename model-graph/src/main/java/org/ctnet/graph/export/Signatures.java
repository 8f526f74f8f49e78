package org.ctnet.graph.export;

import java.util.List;
import org.ctnet.graph.ModelGraph;
import org.ctnet.graph.ModelNames;
import org.tensorflow.Signature;

/** The signatures an exported CT-Net carries, named in {@link ModelNames}: serving, bytes, explain, train step. */
public final class Signatures {
  private Signatures() {}

  /** The signatures an exported model carries (see {@link ModelNames}). */
  public static List<Signature> of(ModelGraph g) {
    Signature serving = withLesion(g, Signature.builder(ModelNames.SERVING_DEFAULT)
        .methodName(ModelNames.PREDICT_METHOD)
        .input(ModelNames.IN_IMAGES, g.images())
        .output(ModelNames.OUT_PROBABILITIES, g.probabilities())
        .output(ModelNames.OUT_LOGITS, g.logits()))
        .build();
    Signature bytes = withLesion(g, Signature.builder(ModelNames.SERVING_BYTES)
        .methodName(ModelNames.PREDICT_METHOD)
        .input(ModelNames.IN_IMAGE_BYTES, g.imageBytes())
        .output(ModelNames.OUT_PROBABILITIES, g.probabilities())
        .output(ModelNames.OUT_LOGITS, g.logits()))
        .build();
    Signature.Builder explain = Signature.builder(ModelNames.EXPLAIN)
        .methodName(ModelNames.PREDICT_METHOD)
        .input(ModelNames.IN_IMAGES, g.images())
        .input(ModelNames.IN_CLASS_INDEX, g.classIndex())
        .output(ModelNames.OUT_PROBABILITIES, g.probabilities())
        .output(ModelNames.OUT_LOGITS, g.logits())
        .output(ModelNames.OUT_TARGET_CLASS, g.cam().targetClass());
    g.cam().outputs().forEach((method, out) -> explain
        .output(method.key() + ModelNames.OUT_CAM_SUFFIX, out.cam())
        .output(method.key() + ModelNames.OUT_HEATMAP_SUFFIX, out.heatmap())
        .output(method.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX, out.hasEvidence()));
    withLesion(g, explain);
    Signature train = Signature.builder(ModelNames.TRAIN_STEP)
        .methodName(ModelNames.PREDICT_METHOD)
        .input(ModelNames.IN_IMAGES, g.images())
        .input(ModelNames.IN_LABELS, g.labels())
        .input(ModelNames.IN_LEARNING_RATE, g.learningRate())
        .output(ModelNames.OUT_LOSS, g.trainingGraph().trainStepLoss())
        .build();
    return List.of(serving, bytes, explain.build(), train);
  }

  /** Adds the lesion head's outputs (lesion and lung maps, involvement, severity) when the model has one. */
  private static Signature.Builder withLesion(ModelGraph g, Signature.Builder builder) {
    if (g.lesion() != null) {
      var outputs = g.lesion().outputs();
      for (int i = 0; i < outputs.size(); i++) {
        builder.output(ModelNames.LESION_OUTPUTS.get(i), outputs.get(i));
      }
    }
    return builder;
  }
}
