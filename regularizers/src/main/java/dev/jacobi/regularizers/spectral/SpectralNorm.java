package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.Arrays;

/**
 * The largest singular value {@code σ(A) = max ‖Av‖/‖v‖} of a linear map {@code A = A(W)} given by a weight, by
 * power iteration: {@code v ← normalize(Aᵀu)}, {@code u ← normalize(Av)}, {@code σ = uᵀAv} (Miyato et al. 2018).
 * Two maps are offered: a matrix ({@link #matrix}, {@code A = W}) and the convolution operator of a layer
 * ({@link #conv}, {@code A = conv_W} at a fixed input size, or its adjoint the transposed convolution).
 *
 * <p>The vectors {@code u, v} persist across calls, so one {@link #update} step per training step tracks a slowly
 * changing weight; the first call warms up with {@link #warmup()} extra steps. {@link #sigma(Var)} is
 * differentiable in {@code W} with {@code u, v} held constant ({@code ∂σ/∂W = ∂(uᵀA(W)v)/∂W}, which is
 * {@code u vᵀ} for a matrix); it uses copies of the vectors, so a later update never corrupts a live graph.
 * Vectors live in the weight's dtype and are converted if the dtype changes; a change of shape starts afresh.
 */
public final class SpectralNorm {
    /** Miyato's warm-up: power steps run on the first {@link #update}. */
    public static final int DEFAULT_WARMUP = 15;
    /** Guard of every normalisation: {@code x / max(‖x‖, 1e-12)}. */
    static final double EPS = 1e-12;

    /** The map {@code A(W)}, its adjoint and the gradient {@code ∂(uᵀA(W)v)/∂W}, all linear in {@code W}. */
    private interface LinearMap {
        /** The input-space shape of {@code A(W)}, for a weight of shape {@code w}. */
        int[] inputShape(int[] w);

        Tensor apply(Tensor w, Tensor v);

        Tensor adjoint(Tensor w, Tensor u);

        /** {@code ∂(uᵀ A(W) v)/∂W}, of the weight's shape. */
        Tensor gradient(Tensor u, Tensor v, int[] w);
    }

    private final LinearMap map;
    private final String what;
    private final int warmup;
    private final Rng rng;
    private int[] weightShape;
    private Tensor u;
    private Tensor v;

    private SpectralNorm(LinearMap map, String what, int warmup, long seed) {
        if (warmup < 0) {
            throw new IllegalArgumentException("SpectralNorm: warmup must be >= 0, got " + warmup);
        }
        this.map = map;
        this.what = what;
        this.warmup = warmup;
        this.rng = new Rng(seed);
    }

    /**
     * Power iteration for a matrix {@code W [m, n]}: {@code σ(W) = σ_max}. For a conv kernel pass the reshaped
     * {@code [cout, cin·kh·kw]} matrix: that is Miyato's heuristic, not the convolution's operator norm.
     *
     * @param warmup power steps added to the first {@link #update}
     * @param seed   seed of the random start vector
     * @return a fresh estimator
     */
    public static SpectralNorm matrix(int warmup, long seed) {
        return new SpectralNorm(new LinearMap() {
            @Override
            public int[] inputShape(int[] w) {
                if (w.length != 2) {
                    throw new IllegalArgumentException("SpectralNorm.matrix: weight must be 2-D, got " + Shapes.str(w));
                }
                return new int[] {w[1]};
            }

            @Override
            public Tensor apply(Tensor w, Tensor x) {
                return w.matmul(x);
            }

            @Override
            public Tensor adjoint(Tensor w, Tensor y) {
                return y.matmul(w);
            }

            @Override
            public Tensor gradient(Tensor y, Tensor x, int[] w) {
                return y.reshape(w[0], 1).mul(x.reshape(1, w[1]));
            }
        }, "matrix", warmup, seed);
    }

    /**
     * Power iteration on the true operator of a 2-D convolution layer with kernel {@code W [cout, cin/groups, kh,
     * kw]} and {@code spec} (stride, padding, dilation, groups, padding mode) acting on {@code [1, cin, h, w]}
     * inputs: {@code A v = conv2d(v, W)}, {@code Aᵀu = conv2dInput(u, W)} (the transposed convolution). With
     * {@code transposed}, {@code A} is the transposed convolution that produces {@code h×w} outputs instead; it has
     * the same singular values. This is the operator norm of the layer as used, exact up to convergence.
     *
     * @param spec       the layer's convolution spec
     * @param h          input height of the convolution (output height of the transposed convolution)
     * @param w          input width likewise
     * @param transposed whether {@code A} is the transposed convolution
     * @param warmup     power steps added to the first {@link #update}
     * @param seed       seed of the random start vector
     * @return a fresh estimator
     */
    public static SpectralNorm conv(Conv2dSpec spec, int h, int w, boolean transposed, int warmup, long seed) {
        if (spec == null || h < 1 || w < 1) {
            throw new IllegalArgumentException("SpectralNorm.conv: need a spec and a positive input size, got "
                    + spec + ", " + h + "x" + w);
        }
        return new SpectralNorm(new LinearMap() {
            private int[] convInput(int[] k) {
                if (k.length != 4) {
                    throw new IllegalArgumentException("SpectralNorm.conv: kernel must be [cout, cin/groups, kh, kw], "
                            + "got " + Shapes.str(k));
                }
                return new int[] {1, k[1] * spec.groups(), h, w};
            }

            @Override
            public int[] inputShape(int[] k) {
                int[] in = convInput(k);
                if (!transposed) {
                    return in;
                }
                return new int[] {1, k[0], Conv.outputSize(h, k[2], spec.strideH(), spec.padH(), spec.dilationH()),
                        Conv.outputSize(w, k[3], spec.strideW(), spec.padW(), spec.dilationW())};
            }

            private Tensor conv(Tensor k, Tensor x) {
                return Conv.conv2d(x, k, null, spec);
            }

            private Tensor convT(Tensor k, Tensor y) {
                return Conv.conv2dInput(y, k, h, w, spec);
            }

            @Override
            public Tensor apply(Tensor k, Tensor x) {
                return transposed ? convT(k, x) : conv(k, x);
            }

            @Override
            public Tensor adjoint(Tensor k, Tensor y) {
                return transposed ? conv(k, y) : convT(k, y);
            }

            @Override
            public Tensor gradient(Tensor y, Tensor x, int[] k) {
                // <y, conv(x; W)> is linear in W with gradient conv2dWeight(x, y); transposed swaps the roles
                return transposed ? Conv.conv2dWeight(y, x, k[2], k[3], spec) : Conv.conv2dWeight(x, y, k[2], k[3], spec);
            }
        }, (transposed ? "transposed conv " : "conv ") + h + "x" + w, warmup, seed);
    }

    /** The number of power steps added to the first {@link #update}. */
    public int warmup() {
        return warmup;
    }

    /** The current left vector {@code u} (output space), or null before the first {@link #update}. */
    public Tensor u() {
        return u;
    }

    /** The current right vector {@code v} (input space), or null before the first {@link #update}. */
    public Tensor v() {
        return v;
    }

    /**
     * Runs {@code steps} power steps {@code v ← normalize(Aᵀu)}, {@code u ← normalize(Av)} (plus the warm-up on
     * the first call, or when the weight's shape changed) and returns {@code σ = uᵀAv}. No graph is recorded.
     *
     * @param weight the current weight {@code W}
     * @param steps  power steps, at least 0
     * @return the estimate of {@code σ(A(W))}, from below
     */
    public double update(Tensor weight, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("SpectralNorm.update: steps must be >= 0, got " + steps);
        }
        sync(weight);
        if (u == null) {
            v = normalize(Tensor.randn(rng, weight.dtype(), map.inputShape(weight.shape())));
            u = normalize(map.apply(weight, v));
            steps += warmup;
        }
        for (int i = 0; i < steps; i++) {
            v = normalize(map.adjoint(weight, u));
            u = normalize(map.apply(weight, v));
        }
        double s = sigma(weight);
        if (!Double.isFinite(s)) {
            throw new IllegalArgumentException("SpectralNorm.update: " + what + " weight of shape "
                    + Shapes.str(weight.shape()) + " gave sigma = " + s + " (non-finite weight?)");
        }
        return s;
    }

    /**
     * {@code σ = uᵀA(W)v} with the stored vectors, without updating them.
     *
     * @param weight the weight {@code W}
     * @return the estimate
     */
    public double sigma(Tensor weight) {
        return weight.mul(gradient(weight)).sum().item();
    }

    /**
     * The differentiable {@code σ(W) = uᵀA(W)v = Σ W ⊙ G} with {@code G = ∂(uᵀAv)/∂W} built from copies of the
     * stored vectors, which are constants ({@code ∂σ/∂W = G}, {@code u vᵀ} for a matrix). Call {@link #update}
     * first; this does not move the vectors.
     *
     * @param weight the weight {@code W}
     * @return the scalar {@code σ}
     */
    public Var sigma(Var weight) {
        return weight.mul(gradient(weight.value())).sum();
    }

    private Tensor gradient(Tensor weight) {
        sync(weight);
        if (u == null) {
            throw new IllegalStateException("SpectralNorm.sigma: call update(weight, steps) first (" + what + ")");
        }
        return map.gradient(u, v, weight.shape());
    }

    /** Drops the vectors when the weight's shape changed, converts them when its dtype did. */
    private void sync(Tensor weight) {
        if (weight == null) {
            throw new IllegalArgumentException("SpectralNorm: weight is null (" + what + ")");
        }
        if (weightShape == null || !Arrays.equals(weightShape, weight.shape())) {
            map.inputShape(weight.shape()); // validates
            weightShape = weight.shape().clone();
            u = null;
            v = null;
        } else if (u != null && u.dtype() != weight.dtype()) {
            u = u.to(weight.dtype());
            v = v.to(weight.dtype());
        }
    }

    /** {@code x / max(‖x‖₂, 1e-12)}. */
    static Tensor normalize(Tensor x) {
        return x.div(Math.max(x.norm(2).item(), EPS));
    }

    @Override
    public String toString() {
        return "SpectralNorm(" + what + ", warmup=" + warmup + ")";
    }
}
