package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Init;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.regularizers.spectral.GramBound;
import dev.jacobi.regularizers.spectral.LipschitzLayer;
import java.util.Map;

/**
 * Convex potential layer, CPL (Meunier, Delattre, Araujo and Allauzen, ICML 2022): {@code y = x − (2/‖W‖₂²)·
 * ReLU(x·Wᵀ + b)·W}, a gradient step on a convex potential, 1-Lipschitz when the step {@code 2/‖W‖₂²} uses an upper
 * bound of {@code ‖W‖₂}. The authors estimate the norm by power iteration; here it is the Gram-iteration bound
 * ({@link GramBound#dense}, {@link #GRAM_STEPS} steps), which is an upper bound at every step count, so the layer is
 * 1-Lipschitz by construction. {@code W} is {@code [inner, features]}; the layer maps {@code [..., features]} to
 * itself.
 */
public final class CplLinear extends Layer implements LipschitzLayer {
    /** Gram steps for the norm bound (the authors' training setting of lip4conv). */
    public static final int GRAM_STEPS = 6;

    private final int features;
    private final int inner;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer on {@code features} with {@code inner} hidden units, Xavier-normal {@code W} and a zero bias. */
    public CplLinear(int features, int inner, Rng rng) {
        if (features <= 0 || inner <= 0) {
            throw new IllegalArgumentException("CplLinear: sizes must be positive, got features=" + features
                    + ", inner=" + inner);
        }
        this.features = features;
        this.inner = inner;
        this.weight = registerParameter("weight", Init.xavierNormal(rng, new int[] {inner, features}, 1));
        this.bias = registerParameter("bias", Tensor.zeros(inner));
    }

    /** {@code W}, {@code [inner, features]}. */
    public Parameter weight() {
        return weight;
    }

    /** {@code b}, {@code [inner]}. */
    public Parameter bias() {
        return bias;
    }

    @Override
    public Var forward(Var x) {
        checkFeatures(x, features);
        Var w = weight.var();
        Var norm = GramBound.dense(w, GRAM_STEPS);
        Var h = x.matmul(w.t()).add(bias.var()).relu().matmul(w);
        return x.sub(h.mul(norm.square().pow(-1).mul(2)));
    }

    /** 1: a gradient step of size at most {@code 2/‖W‖²} on a convex potential. */
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
