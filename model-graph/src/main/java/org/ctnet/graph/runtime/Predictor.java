package org.ctnet.graph.runtime;

import java.util.List;
import java.util.Map;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.spec.NetworkSpec;
import org.tensorflow.Signature;

/**
 * What serving needs of a model: its assets and signatures, predictions and explanations. Both a
 * {@link LoadedModel} (a SavedModel as exported) and a {@link ModelSession} (built here, trainable)
 * are predictors. Thread-safe: {@code Session.run} is.
 */
public interface Predictor extends AutoCloseable {
  ModelAssets assets();

  default NetworkSpec spec() {
    return assets().spec();
  }

  /** Signatures by key (for metadata endpoints). */
  Map<String, Signature> signatures();

  /** Runs serving_default on n images ([n, H, W, C] flattened, pixels in [0, 1]). */
  Prediction predict(float[] images, int n);

  /** Runs serving_bytes: encoded PNG/JPEG/BMP/GIF images decoded and resized in the graph. */
  Prediction predictEncoded(List<byte[]> encodedImages);

  /**
   * Runs the explain signature.
   *
   * @param classIndex per image: the class to explain, or -1 for the predicted one
   */
  Explanation explain(float[] images, int n, int[] classIndex);

  /**
   * True when the signatures carry the lesion head's outputs (lesion and lung maps, involvement,
   * severity); every {@link Prediction} of such a model has them in {@link Prediction#lesion()}.
   */
  boolean hasLesionHead();

  /** The CAM methods this model's explain signature carries (older exports may have fewer). */
  List<CamMethod> camMethods();

  /** The devices the serving signature's ops run on, read from a traced run on one blank image. */
  List<String> servingDevices();

  @Override
  void close();
}
