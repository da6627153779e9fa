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
 * Almost-orthogonal linear layer, AOL (Prach and Lampert, ECCV 2022): {@code y = x·(P·D)ᵀ + b} with the rescaling
 * {@code D = diag(dᵢ)}, {@code dᵢ = (Σⱼ |PᵀP|ᵢⱼ)^(−1/2)}, which makes {@code ‖P·D‖₂ ≤ 1} for every {@code P} (their
 * Theorem 1), so the layer is 1-Lipschitz by construction at the cost of one {@code in×in} Gram product per
 * forward, with no iteration. A column of zeros gets {@code dᵢ} from a tiny floor ({@link #FLOOR}), which only
 * shrinks the layer. The raw weight {@code P} is the trained parameter, initialised orthogonal (where AOL is the
 * identity rescaling); the bias starts at zero.
 */
public final class AolLinear extends Layer implements LipschitzLayer {
    /** Added to each {@code Σⱼ |PᵀP|ᵢⱼ} before the inverse square root, so that a zero column stays finite. */
    public static final double FLOOR = 1e-12;

    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer {@code in → out}, with a bias if {@code bias}. */
    public AolLinear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("AolLinear: feature counts must be positive, got in=" + in + ", out="
                    + out);
        }
        this.in = in;
        this.out = out;
        this.weight = registerParameter("weight", Init.orthogonal(rng, new int[] {out, in}, 1));
        this.bias = bias ? registerParameter("bias", Tensor.zeros(out)) : null;
    }

    /** A layer {@code in → out} with a bias. */
    public AolLinear(int in, int out, Rng rng) {
        this(in, out, true, rng);
    }

    /** The raw weight {@code P}, {@code [out, in]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias, {@code [out]}, or null. */
    public Parameter bias() {
        return bias;
    }

    /** {@code P·D}, the weight the forward pass uses: {@code [out, in]}, spectral norm at most 1. */
    public Var rescaledWeight() {
        return rescale(weight.var());
    }

    /** AOL's rescaling {@code P·diag((Σⱼ |PᵀP|ᵢⱼ + FLOOR)^(−1/2))} of any {@code [out, in]} matrix. */
    public static Var rescale(Var p) {
        Var d = p.t().matmul(p).abs().sum(new int[] {1}, false).add(FLOOR).pow(-0.5);
        return p.mul(d);
    }

    /** {@code y = x·(P·D)ᵀ + b}: {@code [..., in] → [..., out]}. */
    @Override
    public Var forward(Var x) {
        checkFeatures(x, in);
        Var y = x.matmul(rescaledWeight().t());
        return bias == null ? y : y.add(bias.var());
    }

    /** 1: {@code ‖P·D‖₂ ≤ 1}. */
    @Override
    public double lipschitzConstant() {
        return 1;
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
