package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.core.DType;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Constraint;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;

/**
 * A post-step projection of every Linear and Conv2d weight onto a norm ball, in one of three forms:
 * <ul>
 *   <li>{@link #clipReshaped}: Bietti et al. — clip the singular values of each weight's reshaped matrix
 *       {@code [cout, cin·kh·kw]} (for a kernel that is Miyato's heuristic matrix, not the conv operator) to the
 *       decaying radius {@code τ_t = τ(1 + 4e^{−epoch/κ})}, by a full SVD: {@code W ← U·min(Σ, τ_t)·Vᵀ};</li>
 *   <li>{@link #operatorNorm}: Gouk et al. — {@code W ← W / max(1, σ_op(W)/λ)} with {@code σ_op} the true operator
 *       norm of the layer (power iteration on the convolution at its input size, vectors kept between calls);</li>
 *   <li>{@link #l1} and {@link #lInf}: Gouk et al.'s {@code p = 1} and {@code p = ∞} versions,
 *       {@code W ← W / max(1, ‖W‖_p/λ)}, with {@code ‖W‖₁} the largest absolute column sum (over an input channel:
 *       {@code max_j Σ_{o,a,b} |W[o,j,a,b]|}) and {@code ‖W‖_∞} the largest absolute row sum
 *       ({@code max_o Σ_{j,a,b} |W[o,j,a,b]|}). Exact for matrices and stride-1 circular convolutions, upper
 *       bounds for other convolutions.</li>
 * </ul>
 */
public final class SpectralProjection implements Constraint {
    private enum Kind { CLIP_RESHAPED, OPERATOR, L1, LINF }

    private final Kind kind;
    private final double radius;
    private final double kappa;
    private final int[] inputShape;
    private final LayerSigmas sigmas;
    /** The last top right-singular vector of each clipped weight, the warm start of the next step. */
    private final java.util.Map<Parameter, Tensor> warm = new java.util.IdentityHashMap<>();

    private SpectralProjection(Kind kind, double radius, double kappa, int[] inputShape, LayerSigmas sigmas) {
        if (!(radius > 0) || Double.isInfinite(radius) || !(kappa > 0)) {
            throw new IllegalArgumentException("SpectralProjection: need a finite radius > 0 and kappa > 0, got radius "
                    + radius + ", kappa " + kappa);
        }
        this.kind = kind;
        this.radius = radius;
        this.kappa = kappa;
        this.inputShape = inputShape;
        this.sigmas = sigmas;
    }

    /**
     * Bietti's projection: clip the singular values of each reshaped weight to {@code τ(1 + 4e^{−epoch/κ})}.
     *
     * @param tau   the final radius {@code τ} (Bietti: 1.5 on small data)
     * @param kappa the decay {@code κ} in epochs (Bietti: 2)
     * @return the constraint
     */
    public static SpectralProjection clipReshaped(double tau, double kappa) {
        return new SpectralProjection(Kind.CLIP_RESHAPED, tau, kappa, null, null);
    }

    /**
     * Gouk's projection with the true operator norm: {@code W ← W / max(1, σ_op(W)/λ)}, {@code σ_op} by
     * {@code steps} power steps per call (15 more on the first) at each conv layer's input size, traced from
     * {@code inputShape}.
     *
     * @param lambda     the bound {@code λ} on each layer's operator norm
     * @param inputShape the model's per-example input shape, e.g. {@code [1, 28, 28]}
     * @param steps      power steps per call
     * @param seed       seed of the start vectors
     * @return the constraint
     */
    public static SpectralProjection operatorNorm(double lambda, int[] inputShape, int steps, long seed) {
        if (inputShape == null) {
            throw new IllegalArgumentException("SpectralProjection.operatorNorm: inputShape is null");
        }
        return new SpectralProjection(Kind.OPERATOR, lambda, 1, inputShape.clone(),
                new LayerSigmas("SpectralProjection", SpectralPenalty.Estimate.OPERATOR, steps, seed));
    }

    /**
     * Gouk's {@code p = 1} projection {@code W ← W / max(1, ‖W‖₁/λ)}, largest absolute column sum.
     *
     * @param lambda the bound {@code λ}
     * @return the constraint
     */
    public static SpectralProjection l1(double lambda) {
        return new SpectralProjection(Kind.L1, lambda, 1, null, null);
    }

    /**
     * Gouk's {@code p = ∞} projection {@code W ← W / max(1, ‖W‖_∞/λ)}, largest absolute row sum.
     *
     * @param lambda the bound {@code λ}
     * @return the constraint
     */
    public static SpectralProjection lInf(double lambda) {
        return new SpectralProjection(Kind.LINF, lambda, 1, null, null);
    }

    /**
     * The radius at {@code epoch}: {@code τ(1 + 4e^{−epoch/κ})} for {@link #clipReshaped}, else {@code λ}.
     *
     * @param epoch zero-based epoch
     * @return the radius
     */
    public double radius(int epoch) {
        return kind == Kind.CLIP_RESHAPED ? radius * (1 + 4 * Math.exp(-epoch / kappa)) : radius;
    }

    /** Projects every Linear and Conv2d weight of {@code model}. */
    @Override
    public void apply(Layer model, int epoch) {
        double r = radius(epoch);
        if (sigmas != null) {
            sigmas.traceOnce(model, inputShape);
        }
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            for (Layer layer : Layers.weighted(model).values()) {
                Parameter p = Layers.weight(layer);
                Tensor w = p.value();
                Tensor projected = switch (kind) {
                    case CLIP_RESHAPED -> clip(p, w, r);
                    case OPERATOR -> rescale(w, sigmas.sigma(layer).item(), r);
                    case L1 -> rescale(w, absSumMax(w, 1), r);
                    case LINF -> rescale(w, absSumMax(w, 0), r);
                };
                if (projected != w) {
                    p.set(projected);
                }
            }
        }
    }

    /** {@code U·min(Σ, r)·Vᵀ} of the reshaped weight, or {@code w} itself when no singular value exceeds {@code r}. */
    /**
     * Clips the singular values of {@code w} (reshaped to {@code [rows, rest]}) to {@code r} by a full SVD
     * (Bietti's exact projection). A warm-started power iteration first checks whether any singular value exceeds
     * {@code r}; most training steps need no change, and then cost only that check.
     */
    private Tensor clip(Parameter p, Tensor w, double r) {
        Tensor m = w.reshape(w.shape()[0], -1).to(DType.FLOAT64);
        Tensor[] uv = topSingular(m, warm.get(p));
        warm.put(p, uv[1]);
        double sigma = uv[0].matmul(m).matmul(uv[1]).item();
        if (sigma < r * (1 - 1e-6)) {
            return w;
        }
        Linalg.Svd svd = Linalg.svd(m);
        if (svd.s().max().item() <= r) {
            return w;
        }
        Tensor us = svd.u().mul(svd.s().clamp(0, r).unsqueeze(0));
        return us.matmul(svd.vt()).reshape(w.shape()).to(w.dtype());
    }

    /**
     * {@code {u, v}}, the top singular vectors of {@code m} by power iteration from {@code start} (the previous
     * step's {@code v}, so a few iterations suffice during training) to a relative change of 1e-9.
     */
    private static Tensor[] topSingular(Tensor m, Tensor start) {
        int n = m.shape()[1];
        Tensor v = start != null && start.numel() == n ? start
                : Tensor.ones(DType.FLOAT64, n).add(Tensor.arange(DType.FLOAT64, 0, n, 1).mul(1e-3));
        v = v.div(v.norm(2).item());
        Tensor u = m.matmul(v);
        double prev = 0;
        for (int it = 0; it < 500; it++) {
            u = m.matmul(v);
            double nu = u.norm(2).item();
            if (nu == 0) {
                return new Tensor[] {u, v};
            }
            u = u.div(nu);
            v = m.t().matmul(u);
            double sigma = v.norm(2).item();
            v = v.div(sigma);
            if (Math.abs(sigma - prev) <= 1e-9 * sigma) {
                break;
            }
            prev = sigma;
        }
        return new Tensor[] {u, v};
    }

    private static Tensor rescale(Tensor w, double norm, double r) {
        return norm > r ? w.mul(r / norm) : w;
    }

    /** The largest over index {@code keep} of the sum of {@code |w|} over all other dims. */
    private static double absSumMax(Tensor w, int keep) {
        int[] dims = new int[w.dim() - 1];
        for (int i = 0, j = 0; i < w.dim(); i++) {
            if (i != keep) {
                dims[j++] = i;
            }
        }
        return w.abs().sum(dims, false).max().item();
    }

    @Override
    public String name() {
        return "spectral-projection-" + kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
