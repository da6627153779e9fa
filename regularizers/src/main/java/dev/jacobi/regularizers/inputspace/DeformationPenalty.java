package dev.jacobi.regularizers.inputspace;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Regularizer;

/**
 * Bietti et al.'s adversarial deformation penalty {@code ‖f‖_τ² = Σ_k sup_{i, τ} (f_k(x_τ) − f_k(x))²} with the
 * bilinear warp {@code x_τ(u) = x(u − τ(u))} ({@link Var#gridSample}). The displacement (in pixels) is smooth by
 * construction: {@code τ_d(u, v) = Σ_{a,b ≤ m} θ_{d,ab}·sin(πa(u+½)/W)·sin(πb(v+½)/H)}, low-frequency and vanishing
 * near the border, with {@code ‖θ‖₂ ≤ ε}, which bounds both {@code ‖τ‖∞ ≤ mε} and its Jacobian
 * {@code ≤ πm²ε/min(H, W)}. The ascent on θ and the selection per class are those of {@link AdversarialPenalty}.
 */
public final class DeformationPenalty implements Regularizer {
    private final double eps;
    private final int modes;
    private final int steps;

    /**
     * The penalty.
     *
     * @param eps   bound on the coefficient norm {@code ‖θ‖₂}, in pixels
     * @param modes number m of sine modes per axis ({@code ≥ 1})
     * @param steps ascent steps of size {@code 1.5ε/steps}
     */
    public DeformationPenalty(double eps, int modes, int steps) {
        if (!(eps > 0) || modes < 1 || steps < 1) {
            throw new IllegalArgumentException("DeformationPenalty: want eps > 0, modes >= 1 and steps >= 1, got eps="
                    + eps + ", modes=" + modes + ", steps=" + steps);
        }
        this.eps = eps;
        this.modes = modes;
        this.steps = steps;
    }

    /** The penalty with 3 modes per axis and 5 steps. */
    public DeformationPenalty(double eps) {
        this(eps, 3, 5);
    }

    @Override
    public Var penalty(Layer model, Batch batch, long step) {
        return penalty(model, batch.x());
    }

    /** The penalty on NCHW inputs {@code x}. */
    public Var penalty(Layer model, Tensor x) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("DeformationPenalty: inputs must be [N, C, H, W], got "
                    + Shapes.str(x.shape()));
        }
        int h = x.shape()[2];
        int w = x.shape()[3];
        Tensor basis = basis(h, w, modes).to(x.dtype());
        return ClassAscent.penalty("DeformationPenalty", model, x, eps, steps, 1.5 * eps / steps,
                new int[] {2, modes * modes}, (xs, theta) -> warp(xs, displacement(theta, basis, h, w)));
    }

    /** {@code τ = θ·Bᵀ}: coefficients {@code [N, 2, m²]} to a displacement field {@code [N, H, W, 2]}. */
    static Var displacement(Var theta, Tensor basis, int h, int w) {
        int n = theta.shape()[0];
        return theta.matmul(Var.of(basis.t())).reshape(n, 2, h, w).permute(0, 2, 3, 1);
    }

    /** The sine basis {@code [H·W, m²]}. */
    static Tensor basis(int h, int w, int m) {
        double[] b = new double[h * w * m * m];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                for (int a = 0; a < m; a++) {
                    for (int c = 0; c < m; c++) {
                        b[(i * w + j) * m * m + a * m + c] = Math.sin(Math.PI * (a + 1) * (j + 0.5) / w)
                                * Math.sin(Math.PI * (c + 1) * (i + 0.5) / h);
                    }
                }
            }
        }
        return Tensor.of(b, h * w, m * m);
    }

    /**
     * The warp {@code x_τ(u) = x(u − τ(u))} of {@code x [N, C, H, W]} by a displacement {@code τ [N, H, W, 2]} in
     * pixels ({@code τ[..., 0]} along the width), by bilinear sampling with zeros outside; τ = 0 is the identity.
     * Differentiable in both arguments to any order.
     */
    public static Var warp(Var x, Var tau) {
        int[] xs = x.shape();
        int[] ts = tau.shape();
        if (xs.length != 4 || ts.length != 4 || ts[0] != xs[0] || ts[1] != xs[2] || ts[2] != xs[3] || ts[3] != 2) {
            throw new IllegalArgumentException("warp: want x [N, C, H, W] and displacement [N, H, W, 2], got x "
                    + Shapes.str(xs) + " and displacement " + Shapes.str(ts));
        }
        int h = xs[2];
        int w = xs[3];
        double[] base = new double[h * w * 2];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                base[(i * w + j) * 2] = (2 * j + 1.0) / w - 1;
                base[(i * w + j) * 2 + 1] = (2 * i + 1.0) / h - 1;
            }
        }
        Tensor scale = Tensor.of(new double[] {2.0 / w, 2.0 / h}, 2).to(x.dtype());
        Var grid = Var.of(Tensor.of(base, 1, h, w, 2).to(x.dtype())).sub(tau.mul(scale));
        return x.gridSample(grid);
    }

    @Override
    public String name() {
        return "adv-tau";
    }
}
