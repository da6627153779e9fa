package dev.jacobi.regularizers.inputspace;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Regularizer;

/**
 * Bietti et al.'s adversarial perturbation penalty {@code ‖f‖_δ² = Σ_k sup_{i, ‖δ‖₂≤ε} (f_k(xᵢ+δ) − f_k(xᵢ))²}: per
 * class k and example i, 5 (by default) normalised-gradient ascent steps of size {@code 1.5ε/5} on
 * {@code f_k(x+δ)} from δ = 0, each projected on the ℓ2 ball of radius ε; per class the example with the largest
 * gain is kept, and the penalty is recomputed with a graph (first order in the parameters). Every normalisation is
 * guarded against a zero norm (a zero gradient leaves δ where it is).
 */
public final class AdversarialPenalty implements Regularizer {
    private final double eps;
    private final int steps;

    /** The penalty with radius {@code ε > 0} and {@code steps ≥ 1} ascent steps of size {@code 1.5ε/steps}. */
    public AdversarialPenalty(double eps, int steps) {
        if (!(eps > 0) || steps < 1) {
            throw new IllegalArgumentException("AdversarialPenalty: want eps > 0 and steps >= 1, got eps=" + eps
                    + ", steps=" + steps);
        }
        this.eps = eps;
        this.steps = steps;
    }

    /** The penalty with radius {@code ε} and the paper's 5 steps. */
    public AdversarialPenalty(double eps) {
        this(eps, 5);
    }

    @Override
    public Var penalty(Layer model, Batch batch, long step) {
        return penalty(model, batch.x());
    }

    /** {@code Σ_k (f_k(x_{i*}+δ_k) − f_k(x_{i*}))²} on inputs {@code x}. */
    public Var penalty(Layer model, Tensor x) {
        return ClassAscent.penaltyAt(model, search(model, x), Var::add);
    }

    /** The ascent and selection (constants of the penalty). */
    ClassAscent.Selection search(Layer model, Tensor x) {
        int[] tail = java.util.Arrays.copyOfRange(x.shape(), 1, Math.max(1, x.dim()));
        return ClassAscent.search("AdversarialPenalty", model, x, eps, steps, 1.5 * eps / steps, tail, Var::add);
    }

    @Override
    public String name() {
        return "adv-delta";
    }
}
