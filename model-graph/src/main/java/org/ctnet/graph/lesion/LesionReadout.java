package org.ctnet.graph.lesion;

import java.util.List;
import org.ctnet.graph.blocks.LesionDecoder;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * What the lesion head's logits mean to a user, built in the graph so every client of the
 * SavedModel gets it: the lesion and lung maps at the input size, the lung involvement (share of
 * the lung field's pixels whose lesion probability is over 0.5, on the head's own grid; 0 when no
 * lung is found) and its {@link Severity} category.
 */
public record LesionReadout(Operand<TFloat32> lesionMap, Operand<TFloat32> lungMap, Operand<TFloat32> involvement,
    Operand<TInt32> severity) {

  /** Builds the readout of logits [N, h, w, 2] for an input of {@code height × width}. */
  public static LesionReadout build(Ops tf, Operand<TFloat32> logits, int height, int width) {
    Operand<TFloat32> upsampled = tf.image.resizeBilinear(logits, tf.constant(new int[] {height, width}),
        ResizeBilinear.halfPixelCenters(true));
    Operand<TFloat32> maps = tf.math.sigmoid(upsampled);
    Operand<TFloat32> lesionMap = LesionDecoder.channel(tf, maps, LesionDecoder.LESION);
    Operand<TFloat32> lungMap = LesionDecoder.channel(tf, maps, LesionDecoder.LUNG);
    Operand<TFloat32> zero = tf.constant(0f);
    Operand<TFloat32> lesion = tf.dtypes.cast(tf.math.greater(LesionDecoder.channel(tf, logits, LesionDecoder.LESION), zero),
        TFloat32.class);
    Operand<TFloat32> lung = tf.dtypes.cast(tf.math.greater(LesionDecoder.channel(tf, logits, LesionDecoder.LUNG), zero),
        TFloat32.class);
    Operand<TInt32> spatial = tf.constant(new int[] {1, 2});
    Operand<TFloat32> involvement = tf.math.divNoNan(tf.sum(tf.math.mul(lesion, lung), spatial), tf.sum(lung, spatial));
    Operand<TInt32> severity = null;
    for (float bound : Severity.lowerBounds()) {
      Operand<TInt32> above = tf.dtypes.cast(tf.math.greaterEqual(involvement, tf.constant(bound)), TInt32.class);
      severity = severity == null ? above : tf.math.add(severity, above);
    }
    return new LesionReadout(lesionMap, lungMap, involvement, severity);
  }

  /** The outputs as a list, in the order of {@link org.ctnet.graph.ModelNames#LESION_OUTPUTS}. */
  public List<Operand<?>> outputs() {
    return List.of(lesionMap, lungMap, involvement, severity);
  }
}
