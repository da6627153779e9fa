package dev.jacobi.regularizers.inputspace;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Regularizer;
import java.util.List;

/**
 * Input-gradient penalties (double backprop, second order), in four variants:
 * <ul>
 *   <li>{@link Kind#SUP_CLASS} (Bietti et al.'s {@code ‖∇f‖²} lower bound): {@code Σ_k ‖∇ₓ f_k(x_{i*_k})‖²} with
 *       {@code i*_k = argmaxᵢ ‖∇ₓ f_k(xᵢ)‖} picked in a pass without a graph, then recomputed with one — a max over
 *       the batch per class, not a mean;</li>
 *   <li>{@link Kind#GRAD_L2}: {@code (1/n) Σᵢ ‖∇ₓ ℓᵢ‖₂²} (first-order robust optimisation for ℓ2 attacks);</li>
 *   <li>{@link Kind#GRAD_L1}: {@code (1/n) Σᵢ ‖∇ₓ ℓᵢ‖₁} (for ℓ∞ attacks);</li>
 *   <li>{@link Kind#WGAN_GP}: {@code (1/n) Σᵢ (‖∇ₓ s(x̂ᵢ)‖₂ − 1)²} on interpolates {@code x̂ᵢ = αᵢxᵢ + (1−αᵢ)x_{π(i)}}
 *       ({@code αᵢ ~ U(0,1)}, π a random permutation of the batch), where the score {@code s} is the single output
 *       of a critic or, for a classifier, the label's logit {@code f_{yᵢ}}.</li>
 * </ul>
 * The trainer multiplies the penalty by its λ (the papers use λ = 0.1).
 */
public final class GradientPenalty implements Regularizer {
    /** The variant. */
    public enum Kind {
        /** Per-class supremum over the batch of {@code ‖∇ₓ f_k‖²}, summed over classes. */
        SUP_CLASS,
        /** Mean over examples of {@code ‖∇ₓ ℓ‖₂²}. */
        GRAD_L2,
        /** Mean over examples of {@code ‖∇ₓ ℓ‖₁}. */
        GRAD_L1,
        /** Mean over interpolates of {@code (‖∇ₓ s‖₂ − 1)²}. */
        WGAN_GP
    }

    private final Kind kind;
    private final InputLoss loss;
    private final long seed;

    /**
     * A penalty of the given kind.
     *
     * @param kind the variant
     * @param loss per-example loss for GRAD_L2 / GRAD_L1
     * @param seed seed of WGAN_GP's interpolation (mixed with the step)
     */
    public GradientPenalty(Kind kind, InputLoss loss, long seed) {
        if (kind == null || loss == null) {
            throw new IllegalArgumentException("GradientPenalty: kind and loss must not be null");
        }
        this.kind = kind;
        this.loss = loss;
        this.seed = seed;
    }

    /** A penalty of the given kind on cross-entropy, seed 0. */
    public GradientPenalty(Kind kind) {
        this(kind, InputLoss.crossEntropy(), 0);
    }

    /** The variant. */
    public Kind kind() {
        return kind;
    }

    /** The penalty (a scalar connected to the model's parameters by double backprop). */
    @Override
    public Var penalty(Layer model, Batch batch, long step) {
        return penalty(model, batch.x(), batch.y(), step);
    }

    /** The penalty on inputs {@code x} with labels {@code y}; {@code step} seeds WGAN_GP's interpolation. */
    public Var penalty(Layer model, Tensor x, int[] y, long step) {
        InputGrads.checkBatch("GradientPenalty", x, y);
        try (var ignored = Autodiff.enableGrad()) {
            return switch (kind) {
                case GRAD_L2 -> InputGrads.lossGrad(model, Var.param(x), y, loss, true)[2].square().sum()
                        .div(y.length);
                case GRAD_L1 -> InputGrads.lossGrad(model, Var.param(x), y, loss, true)[2].abs().sum().div(y.length);
                case SUP_CLASS -> supClass(model, x);
                case WGAN_GP -> wgan(model, x, y, step);
            };
        }
    }

    private static Var supClass(Layer model, Tensor x) {
        Var xv = Var.param(x);
        Var logits = model.forward(xv);
        int[] ls = logits.shape();
        if (ls.length != 2) {
            throw new IllegalArgumentException("GradientPenalty: SUP_CLASS wants logits [N, C], got " + Shapes.str(ls));
        }
        int c = ls[1];
        int[] best = new int[c];
        int[] col = new int[ls[0]];
        for (int k = 0; k < c; k++) {
            java.util.Arrays.fill(col, k);
            Tensor seed = Tensor.oneHot(col, c, x.dtype());
            Tensor g = Autodiff.grad(logits, List.of(xv), Var.of(seed), false).get(0).value();
            best[k] = InputGrads.argmax(InputGrads.rowNorms(g, 2).toDoubleArray());
        }
        Var sel = Var.param(InputGrads.rows(x, best));
        Var out = model.forward(sel);
        Var diag = out.mul(Var.of(Tensor.eye(x.dtype(), c))).sum();
        return Autodiff.grad(diag, List.of(sel), null, true).get(0).square().sum();
    }

    private Var wgan(Layer model, Tensor x, int[] y, long step) {
        Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L + step);
        int n = y.length;
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        rng.shuffle(perm);
        Tensor alpha = Tensor.rand(rng, x.dtype(), InputGrads.rowShape(x.shape()));
        Tensor mixed = x.mul(alpha).add(InputGrads.rows(x, perm).mul(alpha.neg().add(1)));
        Var xv = Var.param(mixed);
        Var out = model.forward(xv);
        Var score = out.dim() == 2 && out.shape()[1] > 1 ? out.gather(1, y) : out;
        Var g = Autodiff.grad(score.sum(), List.of(xv), null, true).get(0);
        Var norm = g.norm(2, InputGrads.rowDims(g.dim()), false); // its gradient is 0 at a zero row, as in PyTorch
        return norm.sub(1).square().mean();
    }

    @Override
    public String name() {
        return switch (kind) {
            case SUP_CLASS -> "grad-sup";
            case GRAD_L2 -> "grad-l2";
            case GRAD_L1 -> "grad-l1";
            case WGAN_GP -> "wgan-gp";
        };
    }
}
