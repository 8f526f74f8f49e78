package org.ctnet.trainer.eval;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One line of the training log.
 *
 * @param trainLoss mean loss of the batches' classified images (with lesion guidance, the batch
 *     loss includes the lesion term)
 * @param imagesPerSecond every image fed, classified or guided
 * @param lesionLoss mean lesion term of the batches with masked slices, negative when the maps sit in the
 *     masks (null without lesion guidance)
 */
public record EpochRecord(
    int epoch,
    double trainLoss,
    double trainAccuracy,
    double validationLoss,
    double validationAccuracy,
    double validationAuc,
    double learningRate,
    double imagesPerSecond,
    double seconds,
    @JsonInclude(JsonInclude.Include.NON_NULL) Double lesionLoss,
    @JsonInclude(JsonInclude.Include.NON_NULL) Double bagLoss) {}
