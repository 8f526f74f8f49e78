package org.ctnet.graph.layers;

/** Which of the two paths through the shared weights is being built. */
public enum Mode {
  /** Batch statistics, moving-average updates, dropout. */
  TRAINING,
  /** Moving statistics, no dropout: samples are independent of each other. */
  INFERENCE;

  /** Root name scope of the compute ops of this path. */
  public String scopeName() {
    return this == TRAINING ? "train" : "infer";
  }
}
