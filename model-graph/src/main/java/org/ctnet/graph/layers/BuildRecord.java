package org.ctnet.graph.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.types.TFloat32;

/**
 * What one pass of building a network path leaves behind besides its output: the named feature
 * maps (CAM targets), the soft masks of the attention modules, and the moving-statistic updates
 * that the training step must run. One record per path; it is filled while the path is built.
 */
public final class BuildRecord {
  /** A moving-average update and the parameter scope it belongs to (for freezing). */
  public record StatisticUpdate(String scopePath, Op update) {}

  private final Map<String, Operand<TFloat32>> features = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat32>> softMasks = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat32>> decoderInputs = new LinkedHashMap<>();
  private Operand<TFloat32> lesionLogits;
  private final List<StatisticUpdate> updates = new ArrayList<>();
  private final List<BatchStatistics> batchStatistics = new ArrayList<>();

  /**
   * A training-path batch norm's statistics of one batch and the variables they feed: what AdaBN
   * needs to re-estimate the moving statistics on new data.
   *
   * @param input the normalised tensor (N, H, W, C)
   * @param batchMean per-channel mean over N·H·W
   * @param batchVariance per-channel variance over N·H·W as FusedBatchNorm reports it (Bessel-corrected)
   */
  public record BatchStatistics(String scopePath, Operand<TFloat32> input, Operand<TFloat32> batchMean,
      Operand<TFloat32> batchVariance, org.tensorflow.op.core.Variable<TFloat32> movingMean,
      org.tensorflow.op.core.Variable<TFloat32> movingVariance) {}

  void addFeature(String name, Operand<TFloat32> feature) {
    if (features.putIfAbsent(name, feature) != null) {
      throw new IllegalStateException("feature layer recorded twice: " + name);
    }
  }

  void addDecoderInput(String name, Operand<TFloat32> feature) {
    decoderInputs.put(name, feature);
  }

  /** Maps only the lesion decoder reads (the stem convolution before its pool, the image the stem sees). */
  public Map<String, Operand<TFloat32>> decoderInputs() {
    return Collections.unmodifiableMap(decoderInputs);
  }

  /** Records the lesion head's logits [N, h, w, 2] (lesion, lung) on this path. */
  public void setLesionLogits(Operand<TFloat32> logits) {
    this.lesionLogits = logits;
  }

  /** The lesion head's logits [N, h, w, 2] (lesion, lung), or null when the network has no lesion head. */
  public Operand<TFloat32> lesionLogits() {
    return lesionLogits;
  }

  void addSoftMask(String name, Operand<TFloat32> mask) {
    softMasks.put(name, mask);
  }

  void addUpdate(String scopePath, Op update) {
    updates.add(new StatisticUpdate(scopePath, update));
  }

  void addBatchStatistics(BatchStatistics statistics) {
    batchStatistics.add(statistics);
  }

  public List<BatchStatistics> batchStatistics() {
    return Collections.unmodifiableList(batchStatistics);
  }

  public Map<String, Operand<TFloat32>> features() {
    return Collections.unmodifiableMap(features);
  }

  public Operand<TFloat32> feature(String name) {
    Operand<TFloat32> f = features.get(name);
    if (f == null) {
      throw new IllegalArgumentException(
          "feature layer must be one of " + features.keySet() + ", got '" + name + "'");
    }
    return f;
  }

  public Map<String, Operand<TFloat32>> softMasks() {
    return Collections.unmodifiableMap(softMasks);
  }

  public List<StatisticUpdate> statisticUpdates() {
    return Collections.unmodifiableList(updates);
  }
}
