package org.ctnet.graph.assets;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.preprocess.Framing;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;

/**
 * What travels beside a SavedModel in {@code assets.extra/}: the spec that rebuilds the graph, the
 * class labels in logit order, the preprocessing that every consumer must apply identically
 * ({@code preprocessing.json}), the decision threshold locked on validation data
 * ({@code decision.json}) and the temperature the graph divides its logits by
 * ({@code calibration.json}).
 *
 * @param spec the network spec
 * @param labels class names in logit order; the last one is the positive class
 * @param preprocessing input contract
 * @param decision the locked decision rule for the positive class
 * @param calibration the temperature baked into the exported graph's outputs
 * @param scanDecision the scan-level rule and threshold locked on validation scans, or null when none
 *     was (then {@link #effectiveScanDecision()} falls back to the slice threshold, and says so)
 */
public record ModelAssets(NetworkSpec spec, List<String> labels, Preprocessing preprocessing, Decision decision,
    Calibration calibration, ScanDecision scanDecision) {

  /**
   * A scan is positive when its {@code rule}-aggregated probability ≥ threshold.
   *
   * @param rule how slice probabilities become the scan's
   * @param threshold on the scan probability, in [0, 1]
   * @param chosenFor how it was chosen
   */
  public record ScanDecision(ScanRule rule, double threshold, String chosenFor) {
    public ScanDecision {
      if (rule == null || !(threshold >= 0 && threshold <= 1)) {
        throw new IllegalArgumentException("a scan decision needs a rule and a threshold in [0, 1], got " + rule + ", " + threshold);
      }
      chosenFor = chosenFor == null ? "" : chosenFor;
    }

    public boolean isPositive(double scanProbability) {
      return scanProbability >= threshold;
    }
  }

  /** The locked scan decision, or the default rule at the slice threshold (stated in chosenFor). */
  public ScanDecision effectiveScanDecision() {
    return scanDecision != null ? scanDecision : new ScanDecision(ScanRule.DEFAULT, decision.threshold(),
        "the slice threshold (no scan-level threshold was locked for this model)");
  }

  public ModelAssets(NetworkSpec spec, List<String> labels, Preprocessing preprocessing, Decision decision,
      Calibration calibration) {
    this(spec, labels, preprocessing, decision, calibration, null);
  }

  /**
   * Temperature scaling: served logits are the network's divided by {@code temperature}.
   *
   * @param temperature > 0; 1 = uncalibrated
   * @param fittedOn how it was fitted, e.g. "validation NLL (412 images)"
   */
  public record Calibration(double temperature, String fittedOn) {
    public Calibration {
      if (!(temperature > 0) || Double.isInfinite(temperature)) {
        throw new IllegalArgumentException("temperature must be a positive number, got " + temperature);
      }
      fittedOn = fittedOn == null ? "" : fittedOn;
    }

    public static Calibration none() {
      return new Calibration(1, "not calibrated");
    }
  }

  public ModelAssets(NetworkSpec spec, List<String> labels, Preprocessing preprocessing, Decision decision) {
    this(spec, labels, preprocessing, decision, Calibration.none());
  }

  /**
   * Positive when P(positive class) ≥ threshold.
   *
   * @param threshold probability threshold in [0, 1]
   * @param chosenFor how it was chosen, e.g. "sensitivity ≥ 0.95 on validation"
   */
  public record Decision(double threshold, String chosenFor) {
    public Decision {
      if (!(threshold >= 0 && threshold <= 1)) {
        throw new IllegalArgumentException("decision threshold must be in [0, 1], got " + threshold);
      }
      chosenFor = chosenFor == null ? "" : chosenFor;
    }

    /** The rule itself: the one place where a probability becomes a decision. */
    public boolean isPositive(double positiveProbability) {
      return positiveProbability >= threshold;
    }

    public static Decision argmax() {
      return new Decision(0.5, "default 0.5 (not tuned)");
    }
  }

  public static final List<String> DEFAULT_LABELS = List.of("non-covid", "covid");

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  /** Assets are read strictly: a missing field is an error, never a silent 0 (a threshold of 0 serves "positive" for all). */
  private static final ObjectMapper STRICT = JSON.copy()
      .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES, DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES,
          DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES);

  public ModelAssets {
    if (labels == null || labels.size() != spec.numClasses()) {
      throw new IllegalArgumentException(
          "labels must name all " + spec.numClasses() + " classes, got " + labels);
    }
    labels = List.copyOf(labels);
    preprocessing.requireSize(spec.inputHeight(), spec.inputWidth(), spec.inputChannels());
    if (decision == null) {
      decision = Decision.argmax();
    }
    if (calibration == null) {
      calibration = Calibration.none();
    }
  }

  public static ModelAssets defaults(NetworkSpec spec) {
    return new ModelAssets(spec, DEFAULT_LABELS.size() == spec.numClasses() ? DEFAULT_LABELS
            : java.util.stream.IntStream.range(0, spec.numClasses()).mapToObj(i -> "class" + i).toList(),
        Preprocessing.forInput(spec.inputHeight(), spec.inputWidth(), spec.inputChannels()),
        Decision.argmax());
  }

  public ModelAssets withDecision(Decision newDecision) {
    return new ModelAssets(spec, labels, preprocessing, newDecision, calibration, scanDecision);
  }

  public ModelAssets withPreprocessing(Preprocessing newPreprocessing) {
    return new ModelAssets(spec, labels, newPreprocessing, decision, calibration, scanDecision);
  }

  public ModelAssets withLabels(List<String> newLabels) {
    return new ModelAssets(spec, newLabels, preprocessing, decision, calibration, scanDecision);
  }

  public ModelAssets withCalibration(Calibration newCalibration) {
    return new ModelAssets(spec, labels, preprocessing, decision, newCalibration, scanDecision);
  }

  public ModelAssets withScanDecision(ScanDecision newScanDecision) {
    return new ModelAssets(spec, labels, preprocessing, decision, calibration, newScanDecision);
  }

  public ModelAssets withSpec(NetworkSpec newSpec) {
    return new ModelAssets(newSpec, labels, preprocessing, decision, calibration, scanDecision);
  }

  public int positiveClass() {
    return labels.size() - 1;
  }

  /**
   * The class the locked decision gives to P(positive class): the positive class, else the first. The one
   * rule that turns a probability into a class: the served label, and the class explained by default.
   */
  public int decisionClass(double positiveProbability) {
    return decision.isPositive(positiveProbability) ? positiveClass() : 0;
  }

  /** The label of {@link #decisionClass}. */
  public String decisionLabel(double positiveProbability) {
    return labels.get(decisionClass(positiveProbability));
  }

  /** As stored in preprocessing.json (models exported before decision.json also carry the decision here). */
  record PreprocessingFile(Preprocessing preprocessing, Decision decision, String resize) {}

  public void write(Path versionDir) throws IOException {
    Path dir = versionDir.resolve(ModelNames.ASSETS_DIR);
    Files.createDirectories(dir);
    SpecJson.write(spec, dir.resolve(ModelNames.ASSET_SPEC));
    Files.writeString(dir.resolve(ModelNames.ASSET_LABELS), String.join("\n", labels) + "\n");
    JSON.writeValue(dir.resolve(ModelNames.ASSET_PREPROCESSING).toFile(),
        new PreprocessingFile(preprocessing, null, Preprocessing.RESIZE));
    JSON.writeValue(dir.resolve(ModelNames.ASSET_DECISION).toFile(), decision);
    JSON.writeValue(dir.resolve(ModelNames.ASSET_CALIBRATION).toFile(), calibration);
    if (scanDecision != null) {
      JSON.writeValue(dir.resolve(ModelNames.ASSET_SCAN_DECISION).toFile(), scanDecision);
    }
  }

  /** Reads the assets of a version folder; a missing or invalid file is a clear error. */
  public static ModelAssets read(Path versionDir) throws IOException {
    Path dir = versionDir.resolve(ModelNames.ASSETS_DIR);
    try {
      NetworkSpec spec = SpecJson.read(dir.resolve(ModelNames.ASSET_SPEC));
      List<String> labels = Files.readAllLines(dir.resolve(ModelNames.ASSET_LABELS), StandardCharsets.UTF_8)
          .stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
      com.fasterxml.jackson.databind.JsonNode pre = JSON.readTree(dir.resolve(ModelNames.ASSET_PREPROCESSING).toFile());
      if (pre == null || !pre.path("preprocessing").isObject()) {
        throw new IOException("model at " + versionDir + " has invalid assets: " + ModelNames.ASSET_PREPROCESSING
            + " lacks its \"preprocessing\" object");
      }
      com.fasterxml.jackson.databind.node.ObjectNode contract = (com.fasterxml.jackson.databind.node.ObjectNode) pre.get("preprocessing");
      if (!contract.has("framing")) {
        contract.put("framing", Framing.WHOLE.name()); // models exported before framing existed
      }
      Preprocessing preprocessing = STRICT.treeToValue(contract, Preprocessing.class);
      Path decisionFile = dir.resolve(ModelNames.ASSET_DECISION);
      Decision decision = Files.exists(decisionFile) ? STRICT.readValue(decisionFile.toFile(), Decision.class)
          : pre.path("decision").isObject() ? STRICT.treeToValue(pre.get("decision"), Decision.class) : null;
      if (decision == null) {
        // Never fall back silently to 0.5: a served threshold must be the one locked on validation.
        throw new IOException("model at " + versionDir + " has no decision threshold (" + ModelNames.ASSET_DECISION
            + ", or the \"decision\" of " + ModelNames.ASSET_PREPROCESSING + " in models exported before it)");
      }
      Path calibrationFile = dir.resolve(ModelNames.ASSET_CALIBRATION);
      Calibration calibration = Files.exists(calibrationFile)
          ? STRICT.readValue(calibrationFile.toFile(), Calibration.class) : Calibration.none();
      Path scanFile = dir.resolve(ModelNames.ASSET_SCAN_DECISION);
      ScanDecision scan = Files.exists(scanFile) ? STRICT.readValue(scanFile.toFile(), ScanDecision.class) : null;
      return new ModelAssets(spec, labels, preprocessing, decision, calibration, scan);
    } catch (NoSuchFileException e) {
      throw new IOException("model at " + versionDir + " lacks its asset " + e.getFile()
          + " (expected " + ModelNames.ASSETS_DIR + "/{" + ModelNames.ASSET_SPEC + ", "
          + ModelNames.ASSET_LABELS + ", " + ModelNames.ASSET_PREPROCESSING + "})", e);
    } catch (IllegalArgumentException | com.fasterxml.jackson.databind.JsonMappingException e) {
      throw new IOException("model at " + versionDir + " has invalid assets: " + e.getMessage(), e);
    }
  }
}
