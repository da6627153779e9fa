package dev.jacobi.nn;

/**
 * A post-step constraint (a projection): applied to the model after every optimizer step, outside the graph, for
 * example clipping each weight's spectral norm. It replaces parameter values through {@link Parameter#set}.
 */
public interface Constraint {
    /**
     * Projects the model's parameters.
     *
     * @param model the model
     * @param epoch the zero-based epoch, for decaying radii such as {@code τ(1 + 4e^{−epoch/κ})}
     */
    void apply(Layer model, int epoch);

    /** A short name for logs and reports. */
    default String name() {
        return getClass().getSimpleName();
    }
}
