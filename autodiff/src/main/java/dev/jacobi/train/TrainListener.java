package dev.jacobi.train;

import java.io.PrintStream;
import java.util.Locale;

/** Receives the trainer's progress: one call per optimizer step and one per finished epoch. */
public interface TrainListener {
    /**
     * One optimizer step's values.
     *
     * @param epoch the zero-based epoch
     * @param step the zero-based global step this was
     * @param loss the data loss
     * @param penalties each regularizer's penalty, unweighted, in registration order
     * @param total the minimised objective {@code loss + Σ λᵢ·penaltyᵢ}
     * @param batchSize the number of examples in the batch
     */
    record Step(int epoch, long step, double loss, double[] penalties, double total, int batchSize) {
    }

    /**
     * One finished epoch's metrics.
     *
     * @param epoch the zero-based epoch
     * @param steps the optimizer steps in this epoch
     * @param meanLoss the data loss averaged over the epoch's examples
     * @param trainAccuracy the fraction of training examples whose logits' argmax was the label (at the step's
     *     forward pass, before that step's update)
     * @param examplesPerSecond training throughput
     * @param elapsedSeconds wall time of the epoch
     * @param lr the learning rate used in this epoch
     */
    record Epoch(int epoch, long steps, double meanLoss, double trainAccuracy, double examplesPerSecond,
            double elapsedSeconds, double lr) {
    }

    /** Called after every optimizer step (and after the constraints). */
    default void onStep(Step step) {
    }

    /**
     * Called after every epoch, once the scheduler has stepped and the epoch's checkpoint (if due) is written, so that
     * a log written here is never ahead of the checkpoint.
     */
    default void onEpochEnd(Epoch epoch) {
    }

    /** A listener that prints one line per epoch to {@code out}. */
    static TrainListener printing(PrintStream out) {
        return new TrainListener() {
            @Override
            public void onEpochEnd(Epoch e) {
                out.println(String.format(Locale.ROOT,
                        "epoch %d: loss %.4f, train acc %.4f, %.0f examples/s, %.1f s, lr %.3g", e.epoch(),
                        e.meanLoss(), e.trainAccuracy(), e.examplesPerSecond(), e.elapsedSeconds(), e.lr()));
            }
        };
    }
}
