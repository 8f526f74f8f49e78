package org.ctnet.trainer.train;

/** One line of the training log. */
public record EpochRecord(
    int epoch,
    double trainLoss,
    double trainAccuracy,
    double validationLoss,
    double validationAccuracy,
    double validationAuc,
    double learningRate,
    double imagesPerSecond,
    double seconds) {}
