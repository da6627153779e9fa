package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.nn.Losses;
import dev.jacobi.nn.Reduction;

/**
 * The multi-class hinge loss for certified training of Lipschitz networks (Li et al. 2019):
 * {@code ℓ_i = Σ_{j≠y_i} max(0, m − (f_{y_i} − f_j))/C} with {@code m = √2·ε·L}, so a zero loss means every
 * example is certified at ℓ2 radius {@code ε} ({@link Certify}). It is PyTorch's {@code multi_margin_loss}
 * ({@link Losses#multiMarginLoss}), whose adjoint is {@code −g/C} on {@code f_y} and {@code +g/C} on each
 * {@code f_j} with an active hinge.
 */
public final class MultiMarginLoss {
    private final double epsilon;
    private final double lipschitz;

    /**
     * The loss that certifies radius {@code epsilon} for an {@code lipschitz}-Lipschitz network.
     *
     * @param epsilon   training radius {@code ε ≥ 0} (1.5 on MNIST in the BCOP paper)
     * @param lipschitz the network's ℓ2 Lipschitz constant {@code L > 0} (1 for a Lipschitz-by-construction net)
     */
    public MultiMarginLoss(double epsilon, double lipschitz) {
        if (!(epsilon >= 0 && epsilon < Double.POSITIVE_INFINITY && lipschitz > 0
                && lipschitz < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("MultiMarginLoss: need epsilon >= 0 and a positive Lipschitz constant,"
                    + " both finite, got epsilon " + epsilon + ", lipschitz " + lipschitz);
        }
        this.epsilon = epsilon;
        this.lipschitz = lipschitz;
    }

    /**
     * The hinge margin {@code m = √2·ε·L}.
     *
     * @return the margin
     */
    public double margin() {
        return Math.sqrt(2) * epsilon * lipschitz;
    }

    /**
     * {@code ℓ_i = Σ_{j≠y_i} max(0, m − f_{y_i} + f_j)/C}, reduced.
     *
     * @param logits    {@code [N, C]}
     * @param labels    {@code N} labels in {@code [0, C)}
     * @param reduction mean (default), sum or per-example
     * @return the loss
     */
    public Var forward(Var logits, int[] labels, Reduction reduction) {
        return Losses.multiMarginLoss(logits, labels, margin(), reduction);
    }

    /**
     * The batch mean of {@code ℓ_i = Σ_{j≠y_i} max(0, m − f_{y_i} + f_j)/C}.
     *
     * @param logits {@code [N, C]}
     * @param labels {@code N} labels in {@code [0, C)}
     * @return the mean loss
     */
    public Var forward(Var logits, int[] labels) {
        return forward(logits, labels, Reduction.MEAN);
    }
}
