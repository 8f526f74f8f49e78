package org.ctnet.graph.cam;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Max;
import org.tensorflow.op.image.ResizeBilinear;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The shared CAM base, built once per graph on the inference path (batch norm with moving
 * statistics, so each sample's gradient is its own even though the batch's scores are summed).
 *
 * <p>Target class: the fed {@code class_index}, or the predicted class where it is negative. The
 * explained score is the target's logit (not its probability: the softmax would couple classes and
 * saturate). Each method's map is ReLU(Σ_k contribution_k), bilinearly upsampled to the input and
 * divided by its per-image maximum; an image whose map is all zero is flagged as having no positive
 * evidence instead of producing NaN.
 */
public final class CamGraph {
  /** Below this maximum a map counts as empty. */
  public static final float EVIDENCE_EPSILON = 1e-12f;

  /** The outputs of one method. */
  public record CamOutputs(
      Operand<TFloat32> cam, Operand<TFloat32> heatmap, Operand<TBool> hasEvidence) {}

  private final Operand<TInt32> targetClass;
  private final Operand<TFloat32> gradients;
  private final Map<CamMethod, CamOutputs> outputs;

  private CamGraph(Operand<TInt32> targetClass, Operand<TFloat32> gradients, Map<CamMethod, CamOutputs> outputs) {
    this.targetClass = targetClass;
    this.gradients = gradients;
    this.outputs = outputs;
  }

  /**
   * @param tf scope for the CAM ops
   * @param logits inference logits [N, K]
   * @param activations the explained feature map A [N, h, w, C] on the same path
   * @param classIndex requested class per image [N]; negative = predicted class
   * @param inputHeight height of the heatmap
   * @param inputWidth width of the heatmap
   * @param methods the methods to build
   * @param softMask the last attention module's soft mask M [N, h', w', C'], or null
   */
  public static CamGraph build(
      Ops tf,
      Operand<TFloat32> logits,
      Operand<TFloat32> activations,
      Operand<TInt32> classIndex,
      long inputHeight,
      long inputWidth,
      List<CamMethod> methods,
      Operand<TFloat32> softMask) {
    int classes = (int) logits.shape().get(1);
    Operand<TInt32> predicted = tf.math.argMax(tf.stopGradient(logits), tf.constant(1), TInt32.class);
    Operand<TInt32> target =
        tf.withName("target_class").select(
            tf.math.greaterEqual(classIndex, tf.constant(0)), classIndex, predicted);
    Operand<TFloat32> oneHot =
        tf.stopGradient(tf.oneHot(target, tf.constant(classes), tf.constant(1f), tf.constant(0f)));
    Operand<TFloat32> score = tf.sum(tf.math.mul(logits, oneHot), tf.constant(new int[] {0, 1}));
    @SuppressWarnings("unchecked")
    Operand<TFloat32> g = (Operand<TFloat32>) (Operand<?>) tf.gradients(score, List.of(activations)).dy(0);

    Map<CamMethod, CamOutputs> result = new EnumMap<>(CamMethod.class);
    for (CamMethod method : methods) {
      if (!method.gradientBased() && softMask == null) {
        continue; // a network without attention modules has no soft mask to show
      }
      Ops m = tf.withSubScope(method.key());
      Operand<TFloat32> raw;
      if (method.gradientBased()) {
        raw = m.nn.relu(m.sum(method.contributions(m, activations, g), m.constant(3), org.tensorflow.op.core.Sum.keepDims(true)));
      } else {
        Operand<TFloat32> mean = m.math.mean(softMask, m.constant(3), org.tensorflow.op.math.Mean.keepDims(true));
        Operand<TFloat32> min = m.min(mean, m.constant(new int[] {1, 2}), org.tensorflow.op.core.Min.keepDims(true));
        raw = m.math.sub(mean, min);
      }
      Operand<TFloat32> up =
          m.image.resizeBilinear(raw, m.constant(new int[] {(int) inputHeight, (int) inputWidth}),
              ResizeBilinear.halfPixelCenters(true));
      Operand<TFloat32> cam = normalise(m.withSubScope("cam"), m.squeeze(raw, org.tensorflow.op.core.Squeeze.axis(List.of(3L))));
      Operand<TFloat32> heatmapRaw = m.squeeze(up, org.tensorflow.op.core.Squeeze.axis(List.of(3L)));
      Operand<TFloat32> heatmapMax = m.max(heatmapRaw, m.constant(new int[] {1, 2}), Max.keepDims(true));
      Operand<TFloat32> heatmap = normalise(m.withSubScope("heatmap"), heatmapRaw);
      Operand<TBool> hasEvidence =
          m.math.greater(m.reshape(heatmapMax, m.constant(new int[] {-1})), m.constant(EVIDENCE_EPSILON));
      result.put(method, new CamOutputs(cam, heatmap, hasEvidence));
    }
    return new CamGraph(target, g, Collections.unmodifiableMap(result));
  }

  /** map / max(map) per image, exactly 0 where the map is empty. */
  private static Operand<TFloat32> normalise(Ops tf, Operand<TFloat32> map) {
    Operand<TFloat32> max = tf.max(map, tf.constant(new int[] {1, 2}), Max.keepDims(true));
    return tf.math.divNoNan(map, tf.select(
        tf.math.greater(max, tf.constant(EVIDENCE_EPSILON)), max, tf.zerosLike(max)));
  }

  public Operand<TInt32> targetClass() {
    return targetClass;
  }

  /** ∂score/∂A, exposed for tests against finite differences. */
  public Operand<TFloat32> gradients() {
    return gradients;
  }

  public Map<CamMethod, CamOutputs> outputs() {
    return outputs;
  }
}
