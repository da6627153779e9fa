package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;

/**
 * A differentiable penalty added to the training loss. The trainer minimises {@code loss + Σ λᵢ·penaltyᵢ}; the
 * weight {@code λᵢ} is the trainer's, not the regularizer's, and the optimizer never sees regularizers.
 * Implementations that need input gradients recompute the forward pass on {@code batch.x()} themselves (with the
 * input as a parameter); iteration state such as power-iteration vectors lives in the regularizer as plain tensors.
 */
public interface Regularizer {
    /**
     * The penalty for this batch, a scalar {@link Var} connected to the model's parameters.
     *
     * @param model the model being trained (in training mode)
     * @param batch the current mini-batch
     * @param step  the zero-based optimizer step, for schedules and warm starts
     * @return the scalar penalty
     */
    Var penalty(Layer model, Batch batch, long step);

    /** A short name for logs and reports, e.g. {@code grad-l2}. */
    default String name() {
        return getClass().getSimpleName();
    }
}
