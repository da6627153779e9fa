package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.optim.Adam;
import dev.jacobi.optim.Optimizer;
import java.util.Arrays;
import java.util.List;

/**
 * Estimates the Wasserstein-1 distance between two samples by its dual (Kantorovich–Rubinstein) form,
 * {@code W1(P, Q) = sup_{‖f‖_Lip ≤ 1} E_P f − E_Q f}: it trains a critic that is 1-Lipschitz by construction (e.g.
 * {@link BjorckLinear} and {@link MaxMin} layers) with Adam to maximise the empirical {@code mean f(p) − mean f(q)}.
 * Any 1-Lipschitz critic gives a lower bound of the empirical W1; the result also reports an empirical Lipschitz
 * check, {@code max ‖∇ₓ f‖₂} over the samples and random interpolates, which must not exceed 1 for the estimate to be
 * a valid bound.
 */
public final class WassersteinEstimator {
    private final Layer critic;
    private final int steps;
    private final double lr;

    /**
     * The estimate and its check.
     *
     * @param distance           the dual objective {@code mean f(p) − mean f(q)} after training
     * @param empiricalLipschitz {@code max ‖∇ₓ f‖₂} over the samples and interpolates (at most 1 up to rounding for
     *                           a valid estimate)
     * @param history            the dual objective at every training step, before its update
     */
    public record Estimate(double distance, double empiricalLipschitz, double[] history) {
        /**
         * Whether the empirical Lipschitz check passed: {@code empiricalLipschitz ≤ 1 + tol}.
         *
         * @param tol tolerance for rounding
         * @return whether the critic looked 1-Lipschitz on the data
         */
        public boolean lipschitzCheckPassed(double tol) {
            return empiricalLipschitz <= 1 + tol;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Estimate e && distance == e.distance && empiricalLipschitz == e.empiricalLipschitz
                    && Arrays.equals(history, e.history);
        }

        @Override
        public int hashCode() {
            return Double.hashCode(distance) * 31 + Arrays.hashCode(history);
        }

        @Override
        public String toString() {
            return "Estimate[distance=" + distance + ", empiricalLipschitz=" + empiricalLipschitz + ", steps="
                    + history.length + "]";
        }
    }

    /**
     * An estimator training {@code critic} for {@code steps} full-batch Adam steps at learning rate {@code lr}.
     *
     * @param critic a network {@code [N, ...] → [N, 1]} (or {@code [N]}), 1-Lipschitz by construction
     * @param steps  training steps, at least 0
     * @param lr     Adam learning rate, positive
     */
    public WassersteinEstimator(Layer critic, int steps, double lr) {
        if (critic == null || steps < 0 || !(lr > 0)) {
            throw new IllegalArgumentException("WassersteinEstimator: need a critic, steps >= 0 and lr > 0, got "
                    + "critic " + critic + ", steps " + steps + ", lr " + lr);
        }
        this.critic = critic;
        this.steps = steps;
        this.lr = lr;
    }

    /**
     * Trains the critic to maximise {@code mean f(p) − mean f(q)} and returns the final value with the Lipschitz
     * check.
     *
     * @param p samples of P, {@code [Np, ...]}, in the critic's dtype
     * @param q samples of Q, {@code [Nq, ...]} with the same trailing shape
     * @return the estimate of {@code W1(P, Q)}
     */
    public Estimate fit(Tensor p, Tensor q) {
        checkSamples(p, q);
        double[] history = new double[steps];
        critic.train();
        if (steps > 0) {
            Optimizer opt = new Adam(critic.parameters(), lr);
            for (int t = 0; t < steps; t++) {
                opt.zeroGrad();
                try (GradMode.Scope ignored = Autodiff.enableGrad()) {
                    Var gap = dual(critic, p, q);
                    history[t] = gap.item();
                    gap.neg().backward();
                }
                opt.step();
            }
        }
        critic.eval();
        double distance;
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            distance = dual(critic, p, q).item();
        }
        return new Estimate(distance, empiricalLipschitz(critic, p, q, new Rng(17)), history);
    }

    /** {@code mean f(p) − mean f(q)}, recorded when grad mode is on. */
    private static Var dual(Layer critic, Tensor p, Tensor q) {
        return scores(critic, Var.of(p)).mean().sub(scores(critic, Var.of(q)).mean());
    }

    private static Var scores(Layer critic, Var x) {
        Var f = critic.forward(x);
        int n = x.shape()[0];
        if (f.value().numel() != n) {
            throw new IllegalArgumentException("WassersteinEstimator: the critic must give one score per sample, got "
                    + Shapes.str(f.shape()) + " for input " + Shapes.str(x.shape()));
        }
        return f.reshape(n);
    }

    /**
     * {@code max ‖∇ₓ f(x)‖₂} over the samples of {@code p} and {@code q} and one random interpolate
     * {@code t·p_i + (1−t)·q_i} per pair: an empirical lower bound of the critic's Lipschitz constant (per-example
     * gradients come from one backward of {@code Σ f}, so the critic must treat examples independently, as in eval
     * mode).
     *
     * @param critic the critic, in eval mode
     * @param p      samples {@code [Np, ...]}
     * @param q      samples {@code [Nq, ...]}
     * @param rng    source of the interpolation weights
     * @return the largest gradient norm seen
     */
    public static double empiricalLipschitz(Layer critic, Tensor p, Tensor q, Rng rng) {
        checkSamples(p, q);
        int m = Math.min(p.shape()[0], q.shape()[0]);
        int[] ts = p.shape().clone();
        ts[0] = m;
        for (int i = 1; i < ts.length; i++) {
            ts[i] = 1;
        }
        Tensor t = Tensor.rand(rng, p.dtype(), ts);
        Tensor mid = p.narrow(0, 0, m).mul(t).add(q.narrow(0, 0, m).mul(t.neg().add(1)));
        double worst = 0;
        for (Tensor x : List.of(p, q, mid)) {
            Tensor g = Autodiff.grad(v -> scores(critic, v).sum(), x);
            int n = x.shape()[0];
            double[] sq = g.square().reshape(n, -1).sum(1, false).toDoubleArray();
            for (double s : sq) {
                worst = Math.max(worst, Math.sqrt(s));
            }
        }
        return worst;
    }

    private static void checkSamples(Tensor p, Tensor q) {
        int[] a = p.shape();
        int[] b = q.shape();
        if (a.length < 1 || b.length < 1 || a[0] < 1 || b[0] < 1 || p.dtype() != q.dtype()
                || !Arrays.equals(Arrays.copyOfRange(a, 1, a.length), Arrays.copyOfRange(b, 1, b.length))) {
            throw new IllegalArgumentException("WassersteinEstimator: samples must be non-empty [N, ...] of one dtype"
                    + " and trailing shape, got p " + Shapes.str(a) + " " + p.dtype() + " and q " + Shapes.str(b)
                    + " " + q.dtype());
        }
    }
}
