package org.ctnet.graph.runtime;

import java.util.List;
import org.ctnet.graph.ModelGraph;
import org.ctnet.graph.layers.BuildRecord.BatchStatistics;
import org.ctnet.graph.spec.NetworkSpec;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * AdaBN (Li et al. 2016): a model's batch-norm moving statistics replaced by the statistics of a new
 * source's images, no labels needed. The images run through the training path, whose batch norms
 * normalise with each batch's own statistics (so every layer sees inputs normalised as the new
 * source makes them, as in PyTorch's {@code update_bn}); each layer's per-channel mean and variance
 * are pooled over all batches exactly (weighted by the pixels behind them, not a moving average),
 * then written into the moving-statistic variables that inference uses. Weights are untouched.
 */
public final class BatchNormAdaptation {
  private BatchNormAdaptation() {}

  /** What was re-estimated: layers, images, and how far the statistics moved (mean |Δ| over channels). */
  public record Summary(int layers, int images, double meanShift, double varianceRatio) {}

  /**
   * Re-estimates every batch norm that the model's training path runs with batch statistics.
   *
   * @param model a model built from a spec (rebuilt from an export), not a loaded SavedModel
   * @param batches images as flat (n, H, W, C) arrays, any n ≥ 2 per batch (larger is steadier)
   */
  public static Summary reestimate(ModelSession model, Iterable<float[]> batches) {
    ModelGraph g = model.modelGraph();
    NetworkSpec spec = g.spec();
    List<BatchStatistics> layers = g.trainBatchStatistics();
    if (layers.isEmpty()) {
      throw new IllegalStateException("the model's training path keeps every batch norm on its moving statistics "
          + "(frozen): rebuild it with batch norm in training mode to re-estimate them");
    }
    int pixels = spec.inputShape().pixels();
    double[][] sum = new double[layers.size()][];
    double[][] sumSquares = new double[layers.size()][];
    double[] count = new double[layers.size()];
    int images = 0;
    Session session = model.session();
    for (float[] batch : batches) {
      int n = batch.length / pixels;
      if (n * pixels != batch.length || n < 2) {
        throw new IllegalArgumentException("a batch holds at least 2 whole images of " + pixels + " values, got "
            + batch.length + " values");
      }
      images += n;
      Session.Runner runner = session.runner();
      try (TFloat32 input = TensorIo.floats(batch, spec.inputShape().batchDimensions(n))) {
        runner.feed(g.images(), input);
        for (BatchStatistics layer : layers) {
          runner.fetch(layer.batchMean()).fetch(layer.batchVariance());
        }
        try (Result r = runner.run()) {
          for (int l = 0; l < layers.size(); l++) {
            float[] mean = TensorIo.readFloats(r.get(2 * l));
            float[] variance = TensorIo.readFloats(r.get(2 * l + 1));
            long shape1 = layers.get(l).input().shape().get(1);
            long shape2 = layers.get(l).input().shape().get(2);
            double m = (double) n * shape1 * shape2;
            if (sum[l] == null) {
              sum[l] = new double[mean.length];
              sumSquares[l] = new double[mean.length];
            }
            for (int c = 0; c < mean.length; c++) {
              // FusedBatchNorm reports the Bessel-corrected variance; pool the biased one exactly.
              double biased = variance[c] * (m - 1) / m;
              sum[l][c] += m * mean[c];
              sumSquares[l][c] += m * (biased + (double) mean[c] * mean[c]);
            }
            count[l] += m;
          }
        }
      }
    }
    if (images == 0) {
      throw new IllegalArgumentException("no images to re-estimate the batch-norm statistics on");
    }
    Ops tf = Ops.create(session.graph()).withSubScope("adapt_batch_norm");
    Session.Runner assign = session.runner();
    double shift = 0;
    double ratio = 0;
    int channels = 0;
    Session.Runner read = session.runner();
    layers.forEach(layer -> read.fetch(layer.movingMean()).fetch(layer.movingVariance()));
    try (Result old = read.run()) {
      for (int l = 0; l < layers.size(); l++) {
        float[] oldMean = TensorIo.readFloats(old.get(2 * l));
        float[] oldVariance = TensorIo.readFloats(old.get(2 * l + 1));
        int c = sum[l].length;
        float[] mean = new float[c];
        float[] variance = new float[c];
        for (int k = 0; k < c; k++) {
          double mu = sum[l][k] / count[l];
          mean[k] = (float) mu;
          variance[k] = (float) Math.max(0, sumSquares[l][k] / count[l] - mu * mu);
          shift += Math.abs(mean[k] - oldMean[k]);
          ratio += Math.log((variance[k] + 1e-6) / (oldVariance[k] + 1e-6));
          channels++;
        }
        BatchStatistics layer = layers.get(l);
        assign.addTarget(tf.assign(layer.movingMean(), tf.constant(mean)));
        assign.addTarget(tf.assign(layer.movingVariance(), tf.constant(variance)));
      }
    }
    assign.run().close();
    return new Summary(layers.size(), images, shift / channels, Math.exp(ratio / channels));
  }
}
