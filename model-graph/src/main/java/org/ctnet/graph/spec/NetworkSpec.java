package org.ctnet.graph.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * A complete, validated description of a residual attention network. Everything that changes the
 * graph or its variable names lives here, so that the spec stored beside a SavedModel rebuilds the
 * identical graph.
 *
 * @param name preset or model name (informational)
 * @param inputHeight input image height in pixels
 * @param inputWidth input image width in pixels
 * @param inputChannels image channels (1 for CT)
 * @param stem the stem convolution
 * @param stages the stages, in order
 * @param head softmax over classes or the paper's single sigmoid logit
 * @param numClasses number of classes (2 for the sigmoid head)
 * @param dropout dropout rate before the classifier during training, in [0, 1)
 * @param weightDecay L2 weight decay coefficient on convolution and dense kernels
 * @param batchNormMomentum decay of the moving mean/variance, in [0, 1)
 * @param batchNormEpsilon variance epsilon of batch norm
 * @param camLayer feature layer explained by the CAM methods; empty = the last feature block
 * @param seed seed for variable initialisation
 * @param lesionHead the dense lesion head, or null for none (specs written before it existed)
 */
public record NetworkSpec(
    String name,
    int inputHeight,
    int inputWidth,
    int inputChannels,
    StemSpec stem,
    List<StageSpec> stages,
    HeadKind head,
    int numClasses,
    double dropout,
    double weightDecay,
    double batchNormMomentum,
    double batchNormEpsilon,
    String camLayer,
    long seed,
    LesionHeadSpec lesionHead) {

  /** A spec without a lesion head. */
  public NetworkSpec(String name, int inputHeight, int inputWidth, int inputChannels, StemSpec stem,
      List<StageSpec> stages, HeadKind head, int numClasses, double dropout, double weightDecay,
      double batchNormMomentum, double batchNormEpsilon, String camLayer, long seed) {
    this(name, inputHeight, inputWidth, inputChannels, stem, stages, head, numClasses, dropout, weightDecay,
        batchNormMomentum, batchNormEpsilon, camLayer, seed, null);
  }

  /** The input image the network takes. */
  public ImageShape inputShape() {
    return new ImageShape(inputHeight, inputWidth, inputChannels);
  }

  /** Name of the feature block after the last stage (final BN + ReLU). */
  public static final String FINAL_FEATURES = "features";

  public NetworkSpec {
    SpecCheck.notNull("name", name);
    SpecCheck.positive("inputHeight", inputHeight);
    SpecCheck.positive("inputWidth", inputWidth);
    SpecCheck.positive("inputChannels", inputChannels);
    SpecCheck.notNull("stem", stem);
    SpecCheck.notNull("stages", stages);
    SpecCheck.notNull("head", head);
    if (stages.isEmpty()) {
      throw new IllegalArgumentException("stages must not be empty, got []");
    }
    stages = List.copyOf(stages);
    if (numClasses < 2) {
      throw new IllegalArgumentException("numClasses must be >= 2, got " + numClasses);
    }
    if (head == HeadKind.SIGMOID && numClasses != 2) {
      throw new IllegalArgumentException(
          "numClasses must be 2 for the SIGMOID head, got " + numClasses);
    }
    SpecCheck.inRange("dropout", dropout, 0, 1);
    SpecCheck.inRange("weightDecay", weightDecay, 0, 1);
    SpecCheck.inRange("batchNormMomentum", batchNormMomentum, 0, 1);
    if (!(batchNormEpsilon > 0)) {
      throw new IllegalArgumentException("batchNormEpsilon must be > 0, got " + batchNormEpsilon);
    }
    camLayer = camLayer == null ? "" : camLayer;
    validateResolutions(inputHeight, inputWidth, stem, stages);
    List<String> layers = featureLayerNames(stages);
    if (!camLayer.isEmpty() && !layers.contains(camLayer)) {
      throw new IllegalArgumentException(
          "camLayer must be one of " + layers + ", got '" + camLayer + "'");
    }
    if (lesionHead != null) {
      if (lesionHead.fromStage() >= stages.size()) {
        throw new IllegalArgumentException("lesionHead.fromStage must be below the " + stages.size()
            + " stages, got " + lesionHead.fromStage());
      }
      List<LesionLevel> levels = lesionLevels(inputHeight, inputWidth, stem, stages, lesionHead.fromStage());
      if (lesionHead.channels().size() != levels.size()) {
        throw new IllegalArgumentException("lesionHead.channels needs one entry per decoder level, "
            + levels.size() + " here " + levels.stream().map(l -> l.feature() + "@" + l.height() + "x" + l.width())
                .toList() + ", got " + lesionHead.channels().size());
      }
    }
  }

  /** Name of the decoder input that is the image the stem convolution sees (after input pooling). */
  public static final String LESION_INPUT = "input";
  /** Name of the decoder input that is the stem convolution's output before its max pool. */
  public static final String LESION_STEM_CONV = "stem/conv";

  /**
   * One level of the lesion decoder: the feature it concatenates, its size and channels.
   *
   * @param feature a stage's last block (a feature layer name), {@link #LESION_STEM_CONV} or
   *     {@link #LESION_INPUT}
   */
  public record LesionLevel(String feature, int height, int width, int channels) {}

  /** The lesion decoder's levels, deepest first (empty without a lesion head). */
  public List<LesionLevel> lesionLevels() {
    return lesionHead == null ? List.of()
        : lesionLevels(inputHeight, inputWidth, stem, stages, lesionHead.fromStage());
  }

  /** Resolution of the lesion head's logits (the image the stem sees), or null without one. */
  public int[] lesionGrid() {
    return lesionHead == null ? null : new int[] {stem.pooledSize(inputHeight), stem.pooledSize(inputWidth)};
  }

  private static List<LesionLevel> lesionLevels(int height, int width, StemSpec stem, List<StageSpec> stages,
      int fromStage) {
    List<LesionLevel> candidates = new ArrayList<>();
    int h = stem.outputSize(height);
    int w = stem.outputSize(width);
    List<int[]> sizes = new ArrayList<>();
    for (StageSpec stage : stages) {
      h = ceilDiv(h, stage.stride());
      w = ceilDiv(w, stage.stride());
      sizes.add(new int[] {h, w});
    }
    for (int s = fromStage; s >= 0; s--) {
      StageSpec stage = stages.get(s);
      String last = stage.attentionModules() > 0
          ? stageScope(s) + "/" + attentionScope(stage.attentionModules() - 1)
          : stageScope(s) + "/" + unitScope(stage.residualUnits() - 1);
      candidates.add(new LesionLevel(last, sizes.get(s)[0], sizes.get(s)[1], stage.outChannels()));
    }
    candidates.add(new LesionLevel("stem", stem.outputSize(height), stem.outputSize(width), stem.filters()));
    if (stem.maxPool()) {
      int ch = ceilDiv(stem.pooledSize(height), stem.stride());
      int cw = ceilDiv(stem.pooledSize(width), stem.stride());
      candidates.add(new LesionLevel(LESION_STEM_CONV, ch, cw, stem.filters()));
    }
    candidates.add(new LesionLevel(LESION_INPUT, stem.pooledSize(height), stem.pooledSize(width), 1));
    // One level per resolution: the deepest feature found at it.
    List<LesionLevel> levels = new ArrayList<>();
    for (LesionLevel c : candidates) {
      boolean seen = levels.stream().anyMatch(l -> l.height() == c.height() && l.width() == c.width());
      if (!seen) {
        levels.add(c);
      }
    }
    return levels;
  }

  private static void validateResolutions(
      int height, int width, StemSpec stem, List<StageSpec> stages) {
    int h = stem.outputSize(height);
    int w = stem.outputSize(width);
    for (int s = 0; s < stages.size(); s++) {
      StageSpec stage = stages.get(s);
      h = ceilDiv(h, stage.stride());
      w = ceilDiv(w, stage.stride());
      if (stage.attentionModules() > 0) {
        int depth = stage.attention().maskDepth();
        int bottomH = h >> depth;
        int bottomW = w >> depth;
        if (bottomH < 2 || bottomW < 2) {
          throw new IllegalArgumentException(
              "stages["
                  + s
                  + "].attention.maskDepth="
                  + depth
                  + " is too deep for the "
                  + h
                  + "x"
                  + w
                  + " feature map there (input "
                  + height
                  + "x"
                  + width
                  + "): the hourglass bottom would be smaller than 2x2");
        }
      }
    }
  }

  static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  /** Names of every block output that a CAM can explain, in network order. */
  public List<String> featureLayerNames() {
    return featureLayerNames(stages);
  }

  private static List<String> featureLayerNames(List<StageSpec> stages) {
    List<String> names = new ArrayList<>();
    names.add("stem");
    for (int s = 0; s < stages.size(); s++) {
      StageSpec stage = stages.get(s);
      for (int u = 0; u < stage.residualUnits(); u++) {
        names.add(stageScope(s) + "/" + unitScope(u));
      }
      for (int a = 0; a < stage.attentionModules(); a++) {
        names.add(stageScope(s) + "/" + attentionScope(a));
      }
    }
    names.add(FINAL_FEATURES);
    return names;
  }

  /**
   * The layer the CAM methods explain: the configured one, or by default the last feature block
   * (final BN-ReLU). Measured on synthetic blob images: Grad-CAM++ peaks fell inside the blob for
   * 94% of images at the last block against 28% at the attention module's output, whose gradients
   * are not yet spatially class-discriminative.
   */
  public String effectiveCamLayer() {
    return camLayer.isEmpty() ? FINAL_FEATURES : camLayer;
  }

  /** Spatial size [height, width] of the output of a named feature layer. */
  public int[] featureSize(String layer) {
    int h = stem.outputSize(inputHeight);
    int w = stem.outputSize(inputWidth);
    if (layer.equals("stem")) {
      return new int[] {h, w};
    }
    for (int s = 0; s < stages.size(); s++) {
      h = ceilDiv(h, stages.get(s).stride());
      w = ceilDiv(w, stages.get(s).stride());
      if (layer.startsWith(stageScope(s) + "/")) {
        return new int[] {h, w};
      }
    }
    if (layer.equals(FINAL_FEATURES)) {
      return new int[] {h, w};
    }
    throw new IllegalArgumentException(
        "layer must be one of " + featureLayerNames() + ", got '" + layer + "'");
  }

  /** Channels of a named feature layer's output. */
  public int featureChannels(String layer) {
    if (layer.equals("stem")) {
      return stem.filters();
    }
    for (int s = 0; s < stages.size(); s++) {
      if (layer.startsWith(stageScope(s) + "/")) {
        return stages.get(s).outChannels();
      }
    }
    if (layer.equals(FINAL_FEATURES)) {
      return stages.get(stages.size() - 1).outChannels();
    }
    throw new IllegalArgumentException(
        "layer must be one of " + featureLayerNames() + ", got '" + layer + "'");
  }

  public static String stageScope(int stage) {
    return "stage" + (stage + 1);
  }

  public static String unitScope(int unit) {
    return "unit" + unit;
  }

  public static String attentionScope(int module) {
    return "attention" + module;
  }

  /** Number of logits the dense layer produces (1 for the sigmoid head). */
  public int denseOutputs() {
    return head == HeadKind.SIGMOID ? 1 : numClasses;
  }

  public NetworkSpec withName(String newName) {
    return new NetworkSpec(
        newName, inputHeight, inputWidth, inputChannels, stem, stages, head, numClasses, dropout,
        weightDecay, batchNormMomentum, batchNormEpsilon, camLayer, seed, lesionHead);
  }

  public NetworkSpec withHead(HeadKind newHead) {
    return new NetworkSpec(
        name, inputHeight, inputWidth, inputChannels, stem, stages, newHead, numClasses, dropout,
        weightDecay, batchNormMomentum, batchNormEpsilon, camLayer, seed, lesionHead);
  }

  public NetworkSpec withInputSize(int height, int width) {
    return new NetworkSpec(
        name, height, width, inputChannels, stem, stages, head, numClasses, dropout, weightDecay,
        batchNormMomentum, batchNormEpsilon, camLayer, seed, lesionHead);
  }

  public NetworkSpec withSeed(long newSeed) {
    return new NetworkSpec(
        name, inputHeight, inputWidth, inputChannels, stem, stages, head, numClasses, dropout,
        weightDecay, batchNormMomentum, batchNormEpsilon, camLayer, newSeed, lesionHead);
  }

  public NetworkSpec withCamLayer(String layer) {
    return new NetworkSpec(
        name, inputHeight, inputWidth, inputChannels, stem, stages, head, numClasses, dropout,
        weightDecay, batchNormMomentum, batchNormEpsilon, layer, seed, lesionHead);
  }

  public NetworkSpec withLesionHead(LesionHeadSpec head) {
    return new NetworkSpec(
        name, inputHeight, inputWidth, inputChannels, stem, stages, this.head, numClasses, dropout,
        weightDecay, batchNormMomentum, batchNormEpsilon, camLayer, seed, head);
  }
}
