package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import java.util.Map;

/**
 * Fully connected layer {@code y = x Wᵀ + b} with weight {@code [out, in]} and bias {@code [out]}, applied to the
 * last dim of {@code x}. Initialised as PyTorch's: {@code W, b ~ U(-1/√in, 1/√in)}, float32.
 */
public final class Linear extends Layer {
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer {@code in → out}, with a bias if {@code bias}, initialised from {@code rng}. */
    public Linear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: feature counts must be positive, got in=" + in + ", out=" + out);
        }
        this.in = in;
        this.out = out;
        double bound = 1 / Math.sqrt(in);
        this.weight = registerParameter("weight", Init.kaimingUniform(rng, new int[] {out, in}, Math.sqrt(5),
                Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU));
        this.bias = bias ? registerParameter("bias", Init.uniform(rng, new int[] {out}, -bound, bound)) : null;
    }

    /** A layer {@code in → out} with a bias. */
    public Linear(int in, int out, Rng rng) {
        this(in, out, true, rng);
    }

    /** The weight {@code W}, shape {@code [out, in]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias {@code b}, shape {@code [out]}, or null. */
    public Parameter bias() {
        return bias;
    }

    /** {@code y = x Wᵀ + b}: {@code [..., in] → [..., out]}. */
    @Override
    public Var forward(Var x) {
        Var y = product(x);
        return bias == null ? y : y.add(bias.var());
    }

    /** {@code max(x Wᵀ + b, 0)}, the bias and the ReLU in one pass; null without a bias (nothing to fuse). */
    @Override
    Var forwardRelu(Var x) {
        return bias == null ? null : product(x).addRelu(bias.var());
    }

    private Var product(Var x) {
        checkFeatures(x, in);
        return x.matmul(weight.var().t());
    }

    @Override
    protected String label() {
        return "Linear(" + in + " -> " + out + ")";
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + in + ", out_features=" + out + ", bias=" + (bias != null);
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("in_features", in, "out_features", out, "bias", bias != null);
    }
}
