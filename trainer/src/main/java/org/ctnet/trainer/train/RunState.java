package org.ctnet.trainer.train;

import org.ctnet.trainer.eval.EpochRecord;

import java.util.List;

/**
 * What a run directory records after every epoch, written atomically with the checkpoint it names,
 * so {@code --resume} continues after the last completed epoch.
 *
 * @param completedEpochs epochs finished
 * @param bestEpoch epoch with the best validation AUC (0 = none yet)
 * @param bestAuc that AUC
 * @param history one record per finished epoch
 * @param config the run's configuration (resume refuses a different one)
 */
public record RunState(int completedEpochs, int bestEpoch, double bestAuc, List<EpochRecord> history, TrainConfig config) {}
