package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Init;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.regularizers.spectral.LipschitzLayer;
import java.util.Map;

/**
 * Orthonormal linear layer (Anil et al. 2019): {@code y = x·W̃ᵀ + b} with {@code W̃ = Björck(W)} the
 * orthonormalised weight {@code [out, in]} ({@link Bjorck#orthonormalize}), so {@code ‖W̃‖₂ = 1} and the layer is
 * 1-Lipschitz (an isometry if {@code out ≥ in}). The raw weight {@code W} is the trained parameter, initialised
 * orthogonal; the bias starts at zero. Adjoint in {@code x}: {@code g·W̃}.
 */
public final class BjorckLinear extends Layer implements LipschitzLayer {
    private final int in;
    private final int out;
    private final int iterations;
    private final int order;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A layer {@code in → out}.
     *
     * @param in         input features
     * @param out        output features
     * @param bias       whether to add a bias
     * @param iterations Björck iterations per forward
     * @param order      Björck order, 1 to 4
     * @param rng        source of the orthogonal initial weight
     */
    public BjorckLinear(int in, int out, boolean bias, int iterations, int order, Rng rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("BjorckLinear: feature counts must be positive, got in=" + in
                    + ", out=" + out);
        }
        if (order < 1 || order > 4 || iterations < 0) {
            throw new IllegalArgumentException("BjorckLinear: order must be 1 to 4 and iterations >= 0, got order "
                    + order + ", iterations " + iterations);
        }
        this.in = in;
        this.out = out;
        this.iterations = iterations;
        this.order = order;
        this.weight = registerParameter("weight", Init.orthogonal(rng, new int[] {out, in}, 1));
        this.bias = bias ? registerParameter("bias", Tensor.zeros(out)) : null;
    }

    /** A layer {@code in → out} with a bias and the Björck defaults (20 iterations, order 1). */
    public BjorckLinear(int in, int out, Rng rng) {
        this(in, out, true, Bjorck.DEFAULT_ITERATIONS, Bjorck.DEFAULT_ORDER, rng);
    }

    /** The raw weight {@code W}, {@code [out, in]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias {@code [out]}, or null. */
    public Parameter bias() {
        return bias;
    }

    /** The orthonormalised weight {@code W̃ = Björck(W)} used by the forward pass, {@code [out, in]}. */
    public Var orthonormalWeight() {
        return Bjorck.orthonormalize(weight.var(), iterations, order);
    }

    /** {@code y = x·W̃ᵀ + b}: {@code [..., in] → [..., out]}. */
    @Override
    public Var forward(Var x) {
        checkFeatures(x, in);
        Var y = x.matmul(orthonormalWeight().t());
        return bias == null ? y : y.add(bias.var());
    }

    /** 1: {@code W̃} has all singular values 1. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String label() {
        return "BjorckLinear(" + in + " -> " + out + ")";
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + in + ", out_features=" + out + ", bias=" + (bias != null) + ", bjorck_iters="
                + iterations + ", bjorck_order=" + order;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("in_features", in, "out_features", out, "bias", bias != null, "iterations", iterations, "order",
                order);
    }
}
