package dev.jacobi.regularizers.inputspace;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import java.util.Arrays;
import java.util.List;

/**
 * Per-example input gradients and per-row (per-example) norms of batched tensors, shared by the input-space
 * penalties and the attacks ({@link dev.jacobi.regularizers.attacks}).
 */
public final class InputGrads {
    /** Guard added to every norm before dividing by it. */
    public static final double TINY = 1e-12;

    private InputGrads() {
    }

    /**
     * {@code ∇ₓ Σᵢ ℓᵢ} at {@code x} with the input as a parameter: since examples do not interact, row i is
     * {@code ∇ₓ ℓᵢ(xᵢ)}. Returns {@code [x param, Σℓ, grad]}.
     */
    public static Var[] lossGrad(Layer model, Var x, int[] y, InputLoss loss, boolean createGraph) {
        try (var ignored = Autodiff.enableGrad()) {
            Var total = loss.apply(model.forward(x), y).sum();
            Var g = Autodiff.grad(total, List.of(x), null, createGraph).get(0);
            return new Var[] {x, total, g};
        }
    }

    /** {@code ∇ₓ Σᵢ ℓᵢ} as a plain tensor (no graph kept). */
    public static Tensor lossGrad(Layer model, Tensor x, int[] y, InputLoss loss) {
        return lossGrad(model, Var.param(x), y, loss, false)[2].value();
    }

    /** The dims after the first: {@code 1..r-1}. */
    public static int[] rowDims(int rank) {
        int[] d = new int[rank - 1];
        for (int i = 0; i < d.length; i++) {
            d[i] = i + 1;
        }
        return d;
    }

    /** {@code [N, 1, …, 1]}, the broadcast shape of a per-row scalar against a tensor of {@code shape}. */
    public static int[] rowShape(int[] shape) {
        int[] s = new int[shape.length];
        Arrays.fill(s, 1);
        s[0] = shape[0];
        return s;
    }

    /** Per-row p-norms ({@code p = 1, 2, ∞}) of {@code t [N, …]}, kept as {@code [N, 1, …, 1]}. */
    public static Tensor rowNorms(Tensor t, double p) {
        return t.norm(p, rowDims(t.dim()), true);
    }

    /** Per-row p-norms of a Var, shape {@code [N]}. */
    public static Var rowNorms(Var t, double p) {
        return t.norm(p, rowDims(t.dim()), false);
    }

    /** Each row divided by its 2-norm; zero rows stay zero (the divisor is guarded). */
    public static Tensor normalizeRows(Tensor t) {
        return t.div(rowNorms(t, 2).add(TINY));
    }

    /** Each row scaled so its 2-norm is at most {@code eps}: the projection on the ℓ2 ball. */
    public static Tensor projectL2(Tensor t, double eps) {
        Tensor n = rowNorms(t, 2);
        Tensor scale = Tensor.onesLike(n).minimum(n.add(TINY).pow(-1).mul(eps));
        return t.mul(scale);
    }

    /** Rows of {@code t} at {@code index}, in order. */
    public static Tensor rows(Tensor t, int[] index) {
        return t.indexSelect(0, index);
    }

    /** Random directions, each row uniform on the unit sphere. */
    public static Tensor randomDirections(Rng rng, Tensor like) {
        return normalizeRows(Tensor.randn(rng, like.dtype(), like.shape()));
    }

    /** Checks that {@code x} has a batch dim matching the labels. */
    public static void checkBatch(String op, Tensor x, int[] y) {
        if (x.dim() < 2 || x.shape()[0] != y.length) {
            throw new IllegalArgumentException(op + ": " + y.length + " labels for inputs of shape "
                    + Shapes.str(x.shape()) + " (want [N, ...] with N labels)");
        }
    }

    /** Per-row sums of {@code a ⊙ b}, shape {@code [N]}. */
    public static Var rowDot(Var a, Var b) {
        return a.mul(b).sum(rowDims(a.dim()), false);
    }

    /** Index of the largest entry. */
    public static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
