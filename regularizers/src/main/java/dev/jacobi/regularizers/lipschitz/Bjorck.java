package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;

/**
 * Björck–Bowie orthonormalisation (Anil, Lucas, Grosse 2019): the iteration
 * {@code W ← W·Σ_{i=0}^{p} a_i (I − WᵀW)^i}, {@code a_i = C(2i, i)/4^i}, the order-{@code p} Taylor expansion of
 * {@code W(WᵀW)^{-1/2}}, converges to the orthonormal polar factor of {@code W}. Order 1 is
 * {@code W ← 1.5W − 0.5·W(WᵀW)}, order 2 uses {@code 15/8, −5/4, 3/8} on {@code W, WQ, WQ²}.
 */
public final class Bjorck {
    /** Default number of iterations. */
    public static final int DEFAULT_ITERATIONS = 20;
    /** Default order of the iteration. */
    public static final int DEFAULT_ORDER = 1;
    /** {@code a_i = C(2i, i)/4^i}: the Taylor coefficients of {@code (1 − z)^{-1/2}}. */
    private static final double[] COEFFS = {1, 1.0 / 2, 3.0 / 8, 5.0 / 16, 35.0 / 128};
    /** Power-iteration steps of the pre-scaling. */
    private static final int POWER_STEPS = 20;

    private Bjorck() {
    }

    /**
     * The orthonormalised {@code W}: {@code W ← W·Σ_{i≤order} a_i (I − WᵀW)^i} repeated {@code iterations} times
     * after dividing {@code W} by its largest singular value (a power-iteration estimate, computed without
     * recording a graph, so it is a constant for backprop). Wide matrices are transposed first so the iteration
     * runs on the tall orientation ({@code WᵀW} is the small Gram matrix) and transposed back. Leading dims are
     * a batch. Differentiable (a chain of matmuls); the result has orthonormal columns if tall, rows if wide.
     *
     * @param w          matrices {@code [..., m, n]}
     * @param iterations number of iterations, at least 0
     * @param order      order of the iteration, 1 to 4
     * @return the orthonormalised matrices, same shape as {@code w}
     */
    public static Var orthonormalize(Var w, int iterations, int order) {
        if (w.dim() < 2) {
            throw new IllegalArgumentException("Bjorck.orthonormalize: need matrices [..., m, n], got "
                    + Shapes.str(w.shape()));
        }
        if (order < 1 || order > 4 || iterations < 0) {
            throw new IllegalArgumentException("Bjorck.orthonormalize: order must be 1 to 4 and iterations >= 0, got"
                    + " order " + order + ", iterations " + iterations);
        }
        int[] s = w.shape();
        boolean wide = s[s.length - 2] < s[s.length - 1];
        Var x = wide ? w.mT() : w;
        x = x.div(Var.of(spectralNormEstimate(x.value())));
        int n = x.shape()[x.dim() - 1];
        Var eye = Var.of(Tensor.eye(w.dtype(), n));
        for (int it = 0; it < iterations; it++) {
            Var z = eye.sub(x.mT().matmul(x));
            Var poly = eye.mul(COEFFS[order]);
            for (int i = order - 1; i >= 0; i--) {
                poly = z.matmul(poly).add(eye.mul(COEFFS[i]));
            }
            x = x.matmul(poly);
        }
        return wide ? x.mT() : x;
    }

    /** {@link #orthonormalize(Var, int, int)} with the defaults: 20 iterations of order 1. */
    public static Var orthonormalize(Var w) {
        return orthonormalize(w, DEFAULT_ITERATIONS, DEFAULT_ORDER);
    }

    /**
     * Estimates {@code σ_max} of each matrix {@code [..., m, n]} by power iteration on {@code WᵀW} from a seeded
     * start, as a {@code [..., 1, 1]} tensor; an all-zero matrix gets 1 so that dividing by it is harmless.
     */
    static Tensor spectralNormEstimate(Tensor w) {
        int[] s = w.shape();
        int r = s.length;
        int[] vs = s.clone();
        vs[r - 2] = s[r - 1];
        vs[r - 1] = 1;
        Tensor v = Tensor.randn(new Rng(0x5EED), w.dtype(), vs).add(1.0);
        Tensor wt = w.transpose(r - 2, r - 1);
        int[] dims = {r - 2, r - 1};
        Tensor sigma = null;
        for (int i = 0; i < POWER_STEPS; i++) {
            v = v.div(v.norm(2, dims, true).add(1e-30));
            Tensor u = w.matmul(v);
            sigma = u.norm(2, dims, true);
            v = wt.matmul(u);
        }
        return Tensor.where(sigma.gt(0), sigma, Tensor.onesLike(sigma));
    }
}
