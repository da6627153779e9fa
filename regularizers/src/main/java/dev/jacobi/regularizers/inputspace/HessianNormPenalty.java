package dev.jacobi.regularizers.inputspace;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Regularizer;
import java.util.List;

/**
 * Mustafa et al.'s input-Hessian operator-norm penalty {@code (1/m) Σᵢ |vᵢᵀ Hᵢ vᵢ|}, {@code Hᵢ = ∇²ₓ ℓᵢ(xᵢ)}, on a
 * sub-batch of the first m examples, where {@code vᵢ} is the top-|eigenvalue| direction of {@code Hᵢ} found by K
 * steps of power iteration {@code v ← Hv/‖Hv‖} from the warm start {@code v₀ = ∇ₓℓᵢ/‖∇ₓℓᵢ‖}, run without a graph
 * (v is a constant). One HVP of the summed loss {@code ∇ₓ(∇ₓΣℓ · v)} gives every example's {@code Hᵢvᵢ} at once,
 * because the Hessian of {@code Σᵢ ℓᵢ} in the whole batch input is block-diagonal.
 * <ul>
 *   <li>{@link Mode#EXACT}: {@code vᵀHv} by reverse-over-reverse with a graph, so the training gradient is third
 *       order;</li>
 *   <li>{@link Mode#FINITE_DIFFERENCE}: the central difference {@code vᵀ[∇ℓ(x+hv) − ∇ℓ(x−hv)]/(2h)} (also used for
 *       the HVPs of the power iteration), second order only.</li>
 * </ul>
 * A Hutchinson estimate {@code E_v‖Hv‖²} with random v would estimate the squared Frobenius norm {@code Σλ²}, a
 * different regulariser that weighs all curvature directions, not the worst one: it is not the operator norm.
 */
public final class HessianNormPenalty implements Regularizer {
    /** How {@code vᵀHv} is computed. */
    public enum Mode {
        /** Double backprop HVP (third-order training gradient). */
        EXACT,
        /** Central difference of input gradients (second-order training gradient). */
        FINITE_DIFFERENCE
    }

    private final int iterations;
    private final int subBatch;
    private final Mode mode;
    private final double h;
    private final InputLoss loss;

    /**
     * The penalty.
     *
     * @param iterations power-iteration steps K ({@code ≥ 0})
     * @param subBatch   number of leading examples used ({@code ≥ 1})
     * @param mode       exact or finite-difference {@code vᵀHv}
     * @param h          finite-difference step (ignored by EXACT), {@code > 0}
     * @param loss       per-example loss
     */
    public HessianNormPenalty(int iterations, int subBatch, Mode mode, double h, InputLoss loss) {
        if (iterations < 0 || subBatch < 1 || mode == null || !(h > 0) || loss == null) {
            throw new IllegalArgumentException("HessianNormPenalty: want iterations >= 0, subBatch >= 1, a mode, h > 0 "
                    + "and a loss, got iterations=" + iterations + ", subBatch=" + subBatch + ", mode=" + mode
                    + ", h=" + h);
        }
        this.iterations = iterations;
        this.subBatch = subBatch;
        this.mode = mode;
        this.h = h;
        this.loss = loss;
    }

    /** The penalty on cross-entropy with {@code h = 1e-2}. */
    public HessianNormPenalty(int iterations, int subBatch, Mode mode) {
        this(iterations, subBatch, mode, 1e-2, InputLoss.crossEntropy());
    }

    @Override
    public Var penalty(Layer model, Batch batch, long step) {
        return penalty(model, batch.x(), batch.y());
    }

    /** {@code (1/m) Σᵢ |vᵢᵀHᵢvᵢ|} on the first m examples of {@code x}, with a graph to the parameters. */
    public Var penalty(Layer model, Tensor x, int[] y) {
        InputGrads.checkBatch("HessianNormPenalty", x, y);
        int m = Math.min(subBatch, y.length);
        Tensor xs = x.narrow(0, 0, m);
        int[] ys = java.util.Arrays.copyOf(y, m);
        try (var ignored = Autodiff.enableGrad()) {
            Hvp op = new Hvp(model, xs, ys);
            Tensor v = op.powerIteration(iterations);
            return penaltyAt(op, v);
        }
    }

    /** The penalty for fixed directions {@code v} (rows of unit norm): the part that carries the graph. */
    Var penaltyAt(Layer model, Tensor x, int[] y, Tensor v) {
        try (var ignored = Autodiff.enableGrad()) {
            return penaltyAt(new Hvp(model, x, y), v);
        }
    }

    private Var penaltyAt(Hvp op, Tensor v) {
        return InputGrads.rowDot(Var.of(v), op.apply(v, true)).abs().mean();
    }

    /** The top-|eigenvalue| Rayleigh quotients {@code vᵢᵀHᵢvᵢ} of every example (signed, no graph), shape {@code [N]}. */
    public Tensor eigenvalues(Layer model, Tensor x, int[] y) {
        InputGrads.checkBatch("HessianNormPenalty.eigenvalues", x, y);
        try (var ignored = Autodiff.enableGrad()) {
            Hvp op = new Hvp(model, x, y);
            Tensor v = op.powerIteration(iterations);
            return InputGrads.rowDot(Var.of(v), op.apply(v, false)).value();
        }
    }

    /** Per-example HVPs {@code Hᵢvᵢ} at fixed inputs. */
    private final class Hvp {
        private final Layer model;
        private final Tensor x;
        private final int[] y;
        private final Var xp;
        private final Var gx;

        Hvp(Layer model, Tensor x, int[] y) {
            this.model = model;
            this.x = x;
            this.y = y;
            this.xp = Var.param(x);
            this.gx = InputGrads.lossGrad(model, xp, y, loss, mode == Mode.EXACT)[2];
        }

        /** {@code Hv}, with a graph to the parameters if {@code graph}. */
        Var apply(Tensor v, boolean graph) {
            if (mode == Mode.EXACT) {
                return Autodiff.grad(gx.mul(Var.of(v)).sum(), List.of(xp), null, graph).get(0);
            }
            Tensor hv = v.mul(h);
            Var plus = InputGrads.lossGrad(model, Var.param(x.add(hv)), y, loss, graph)[2];
            Var minus = InputGrads.lossGrad(model, Var.param(x.sub(hv)), y, loss, graph)[2];
            return plus.sub(minus).div(2 * h);
        }

        /** K power-iteration steps from the normalised gradient (a fixed random direction where it is zero). */
        Tensor powerIteration(int k) {
            Tensor v = start(gx.value());
            for (int i = 0; i < k; i++) {
                v = start(apply(v, false).value());
            }
            return v;
        }

        private Tensor start(Tensor g) {
            Tensor norms = InputGrads.rowNorms(g, 2);
            Tensor fallback = InputGrads.randomDirections(new Rng(7), g);
            Tensor positive = norms.gt(0);
            return Tensor.where(positive, g.div(Tensor.where(positive, norms, Tensor.onesLike(norms))), fallback);
        }
    }

    @Override
    public String name() {
        return mode == Mode.EXACT ? "hessian-op" : "hessian-op-fd";
    }
}
