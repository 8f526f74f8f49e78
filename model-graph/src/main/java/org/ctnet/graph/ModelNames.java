package org.ctnet.graph;

import java.util.List;

/**
 * Every name that is API: signature keys, their input/output names, and the graph-level op names
 * that Java callers feed and fetch. Renaming any of these breaks exported models and clients.
 */
public final class ModelNames {
  private ModelNames() {}

  /** SavedModel tag. */
  public static final String TAG = "serve";

  /** Method name TF Serving expects on predict-style signatures. */
  public static final String PREDICT_METHOD = "tensorflow/serving/predict";

  // Signature keys.
  public static final String SERVING_DEFAULT = "serving_default";
  public static final String SERVING_BYTES = "serving_bytes";
  public static final String EXPLAIN = "explain";
  public static final String TRAIN_STEP = "train_step";
  public static final List<String> SIGNATURES =
      List.of(SERVING_DEFAULT, SERVING_BYTES, EXPLAIN, TRAIN_STEP);

  // Signature inputs.
  public static final String IN_IMAGES = "images";
  public static final String IN_IMAGE_BYTES = "image_bytes";
  public static final String IN_CLASS_INDEX = "class_index";
  public static final String IN_LABELS = "labels";
  public static final String IN_LEARNING_RATE = "learning_rate";

  // Signature outputs.
  public static final String OUT_PROBABILITIES = "probabilities";
  public static final String OUT_LOGITS = "logits";
  public static final String OUT_TARGET_CLASS = "target_class";
  public static final String OUT_LOSS = "loss";
  /** Per CAM method: {@code <method>_cam}, {@code <method>_heatmap}, {@code <method>_has_evidence}. */
  public static final String OUT_CAM_SUFFIX = "_cam";
  public static final String OUT_HEATMAP_SUFFIX = "_heatmap";
  public static final String OUT_HAS_EVIDENCE_SUFFIX = "_has_evidence";
  /** Lesion head: per-pixel probability of COVID-19-type infection [N, H, W]. */
  public static final String OUT_LESION_MAP = "lesion_map";
  /** Lesion head: per-pixel probability of the lung field [N, H, W]. */
  public static final String OUT_LUNG_MAP = "lung_map";
  /** Lesion head: share of the lung field with lesion probability over 0.5 [N]. */
  public static final String OUT_LUNG_INVOLVEMENT = "lung_involvement";
  /** Lesion head: severity category index 0..4 = CT-0..CT-4 [N] (int32). */
  public static final String OUT_SEVERITY = "severity";
  /**
   * Not a signature output: the server's per-image input check ({@code ok} or the reasons), answered
   * when asked for (TF Serving body {@code "input_check": true}, KServe output by name).
   */
  public static final String OUT_INPUT_CHECK = "input_check";
  /** The lesion head's outputs, present in the serving, bytes and explain signatures of models that have one. */
  public static final List<String> LESION_OUTPUTS =
      List.of(OUT_LESION_MAP, OUT_LUNG_MAP, OUT_LUNG_INVOLVEMENT, OUT_SEVERITY);

  // Graph op names (top level, stable).
  public static final String OP_IMAGES = "images";
  public static final String OP_IMAGE_BYTES = "image_bytes";
  public static final String OP_LABELS = "labels";
  public static final String OP_LEARNING_RATE = "learning_rate";
  public static final String OP_CLASS_INDEX = "class_index";
  public static final String OP_CLASS_WEIGHTS = "class_weights";
  /** Per-image weight of the classification loss (default 1; 0 = the image only guides the maps). */
  public static final String OP_EXAMPLE_WEIGHTS = "example_weights";
  /**
   * Lesion supervision (training only): per-image lesion area fraction per cell of the lesion head's
   * grid, or, without a lesion head, of the explained layer's grid (Grad-CAM guidance).
   */
  public static final String OP_LESION_MASKS = "lesion_masks";
  /** Lesion guidance: per-image weight of the lesion term (default 0 = no mask). */
  public static final String OP_LESION_WEIGHTS = "lesion_weights";
  /** Lesion guidance: the weighted mean lesion term of the batch (0 when no image has a mask). */
  public static final String OP_LESION_LOSS = "lesion_loss";
  /** Lesion head (training only): per-image lung-field fraction per cell of the head's grid. */
  public static final String OP_LUNG_MASKS = "lung_masks";
  /** Lesion head: per-image weight of the lung-field term (default 0 = no lung mask). */
  public static final String OP_LUNG_WEIGHTS = "lung_weights";
  /**
   * Multiple-instance learning (training only): row b holds the pooling weights of bag b (a study)
   * over the batch's images, summing to 1 over its member slices and 0 elsewhere ([bags, images]).
   */
  public static final String OP_BAG_POOLING = "bag_pooling";
  /** Multiple-instance learning: one class index per bag (the study's label). */
  public static final String OP_BAG_LABELS = "bag_labels";
  /** Multiple-instance learning: sharpness r of the bags' log-sum-exp pooling (scalar, default 1). */
  public static final String OP_BAG_SHARPNESS = "bag_sharpness";
  /** Multiple-instance learning: the batch's mean bag term (0 when the batch holds no bag). */
  public static final String OP_BAG_LOSS = "bag_loss";
  public static final String OP_PROBABILITIES = "probabilities";
  public static final String OP_LOGITS = "logits";
  public static final String OP_LOSS = "loss";
  public static final String OP_TRAIN = "train";
  /** Sets the L2-SP anchors to the current weights (fine-tuning). */
  public static final String OP_L2SP_ANCHOR = "l2sp_anchor_set";
  public static final String OP_TRAIN_LOSS = "train_loss";
  public static final String OP_TRAIN_LOGITS = "train_logits";
  public static final String OP_GLOBAL_STEP = "global_step";

  // Assets beside the SavedModel (TF Serving convention: assets.extra/).
  public static final String ASSETS_DIR = "assets.extra";
  public static final String ASSET_SPEC = "model.json";
  public static final String ASSET_LABELS = "labels.txt";
  public static final String ASSET_PREPROCESSING = "preprocessing.json";
  public static final String ASSET_SCAN_DECISION = "scan_decision.json";
  public static final String ASSET_DECISION = "decision.json";
  public static final String ASSET_CALIBRATION = "calibration.json";
  public static final String ASSET_TRAINING = "training.json";
}
