package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;

/** How a loss combines its per-element values {@code ℓ_i}: PyTorch's {@code reduction} argument. */
public enum Reduction {
    /** {@code (1/n)·Σ ℓ_i}, the default. */
    MEAN,
    /** {@code Σ ℓ_i}. */
    SUM,
    /** The values {@code ℓ_i} themselves (per example, e.g. for per-example gradient penalties). */
    NONE;

    /** Applies this reduction to {@code values}. */
    public Var apply(Var values) {
        switch (this) {
            case MEAN: return values.mean();
            case SUM: return values.sum();
            default: return values;
        }
    }
}
