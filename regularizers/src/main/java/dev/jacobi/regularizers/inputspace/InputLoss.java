package dev.jacobi.regularizers.inputspace;

import dev.jacobi.autodiff.Var;
import dev.jacobi.nn.Losses;
import dev.jacobi.nn.Reduction;

/** A per-example loss {@code ℓᵢ = ℓ(yᵢ, f(xᵢ))}, shape {@code [N]}; attacks ascend and penalties differentiate it. */
@FunctionalInterface
public interface InputLoss {
    /**
     * The per-example losses.
     *
     * @param logits model outputs {@code [N, C]}
     * @param labels one label per example
     * @return the losses {@code [N]}
     */
    Var apply(Var logits, int[] labels);

    /** Softmax cross-entropy {@code ℓᵢ = −log softmax(f(xᵢ))[yᵢ]}. */
    static InputLoss crossEntropy() {
        return (logits, y) -> Losses.crossEntropy(logits, y, Reduction.NONE);
    }
}
