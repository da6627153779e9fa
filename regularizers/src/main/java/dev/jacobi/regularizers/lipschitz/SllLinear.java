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
 * SDP-based Lipschitz layer, SLL (Araujo, Havens, Delattre, Allauzen and Hu, ICLR 2023), dense form:
 * {@code y = x − ReLU(x·Wᵀ + b)·diag(t)·W} with {@code tᵢ = 2 / Σⱼ |qᵢ⁻¹·(WWᵀ)ᵢⱼ·qⱼ|}, which makes the layer
 * 1-Lipschitz for every {@code W} and every positive {@code q} (their Theorem 3; their code adds {@link #EPS} to the
 * sums and to {@code |q|}). {@code W} is {@code [inner, features]}, {@code q} has {@code inner} entries (used as
 * {@code |q|}); the layer maps {@code [..., features]} to itself.
 */
public final class SllLinear extends Layer implements LipschitzLayer {
    /** The authors' guard against division by zero. */
    public static final double EPS = 1e-6;

    private final int features;
    private final int inner;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter q;

    /** A layer on {@code features} with {@code inner} hidden units, Xavier-normal {@code W}, {@code q} ~ U(0, 1). */
    public SllLinear(int features, int inner, Rng rng) {
        if (features <= 0 || inner <= 0) {
            throw new IllegalArgumentException("SllLinear: sizes must be positive, got features=" + features
                    + ", inner=" + inner);
        }
        this.features = features;
        this.inner = inner;
        this.weight = registerParameter("weight", Init.xavierNormal(rng, new int[] {inner, features}, 1));
        this.bias = registerParameter("bias", Tensor.zeros(inner));
        this.q = registerParameter("q", Init.uniform(rng, new int[] {inner}, 0, 1));
    }

    /** {@code W}, {@code [inner, features]}. */
    public Parameter weight() {
        return weight;
    }

    /** The scales {@code q}, {@code [inner]}. */
    public Parameter q() {
        return q;
    }

    @Override
    public Var forward(Var x) {
        checkFeatures(x, features);
        Var w = weight.var();
        // a dense layer is the 1×1 convolution: G = WWᵀ, tᵢ = 2 / Σⱼ |qᵢ⁻¹ (WWᵀ)ᵢⱼ qⱼ|
        Var t = SllConv2d.scales(w.reshape(inner, features, 1, 1), q.var());
        Var h = x.matmul(w.t()).add(bias.var()).relu().mul(t).matmul(w);
        return x.sub(h);
    }

    /** 1, for every {@code W} and {@code q}. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String extraRepr() {
        return "features=" + features + ", inner=" + inner;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("features", features, "inner", inner);
    }
}
