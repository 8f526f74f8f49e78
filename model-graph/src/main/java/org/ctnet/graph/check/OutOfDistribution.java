package org.ctnet.graph.check;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.ctnet.graph.runtime.Prediction;

/**
 * Out-of-distribution scores read from the model's own outputs, and their calibration: each score's
 * threshold is its (1 − share) quantile over the validation slices of the training sources, fitted
 * once (`ctnet ood-fit`) and stored beside the model as {@code assets.extra/ood.json}. A slice whose
 * chosen score is above its threshold is flagged {@code out_of_distribution} beside its label; the
 * label itself never changes.
 */
public final class OutOfDistribution {
  public static final String ASSET = "ood.json";
  /** Involvement at which the lesion head's evidence counts in full (5% of the lung field). */
  public static final double FULL_LESION_EVIDENCE = 0.05;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The scores compared. Higher is less like the training data. */
  public enum Score {
    /**
     * Free energy of the logits, −log Σ exp(logit) (Liu et al. 2020): low for inputs the classifier
     * gives large logits, as it does on its training distribution.
     */
    ENERGY,
    /**
     * A COVID call the lesion head does not back: max(0, P(positive) − min(1, involvement / 5%)).
     * High when the classifier is sure of COVID on a slice where the model's own lesion map finds
     * almost none — the shortcut the lesion head was added to expose. Lesion models only.
     */
    LESION_DISAGREEMENT,
    /** One minus the top class probability (the maximum-softmax baseline, Hendrycks & Gimpel 2017). */
    LOW_CONFIDENCE;

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Score parse(String text) {
      for (Score s : values()) {
        if (s.key().equals(text.strip().toLowerCase(Locale.ROOT))) {
          return s;
        }
      }
      throw new IllegalArgumentException("OOD score must be energy, lesion_disagreement or low_confidence, got '"
          + text + "'");
    }

    /** Whether the score can be read from this prediction. */
    public boolean available(Prediction p) {
      return this != LESION_DISAGREEMENT || p.lesion() != null;
    }

    /** Image {@code i}'s score. */
    public double of(Prediction p, int i, int positiveClass) {
      return switch (this) {
        case ENERGY -> energy(p.logits()[i]);
        case LESION_DISAGREEMENT -> Math.max(0, p.probabilities()[i][positiveClass]
            - Math.min(1, p.lesion().involvement()[i] / FULL_LESION_EVIDENCE));
        case LOW_CONFIDENCE -> {
          double top = 0;
          for (float v : p.probabilities()[i]) {
            top = Math.max(top, v);
          }
          yield 1 - top;
        }
      };
    }
  }

  /** −log Σ exp(logits), computed stably. */
  public static double energy(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : logits) {
      sum += Math.exp(v - max);
    }
    return -(max + Math.log(sum));
  }

  /**
   * A fitted flag: the score used, its threshold, the share of the fitting slices above it, on what it
   * was fitted, and every available score's threshold at the same share (for comparing them).
   */
  public record Calibration(String score, double threshold, double share, int slices, String fittedOn,
      java.util.Map<String, Double> thresholds) {
    public Score chosen() {
      return Score.parse(score);
    }

    /** Whether image {@code i} of {@code p} is flagged (false when the score cannot be read from it). */
    public boolean flags(Prediction p, int i, int positiveClass) {
      Score s = chosen();
      return s.available(p) && s.of(p, i, positiveClass) > threshold;
    }

    public void write(Path versionDir) throws IOException {
      Path dir = versionDir.resolve("assets.extra");
      Files.createDirectories(dir);
      JSON.writeValue(dir.resolve(ASSET).toFile(), this);
    }

    /** The model's calibration, if it was fitted. */
    public static Optional<Calibration> read(Path versionDir) throws IOException {
      Path file = versionDir.resolve("assets.extra").resolve(ASSET);
      return Files.isRegularFile(file) ? Optional.of(JSON.readValue(file.toFile(), Calibration.class)) : Optional.empty();
    }
  }

  /** The threshold above which a {@code share} of {@code scores} lies (the (1 − share) quantile, upper). */
  public static double threshold(double[] scores, double share) {
    if (scores.length == 0 || share <= 0 || share >= 1) {
      throw new IllegalArgumentException("need scores and a share in (0, 1)");
    }
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    int keep = (int) Math.ceil((1 - share) * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, keep))];
  }

  private OutOfDistribution() {}
}
