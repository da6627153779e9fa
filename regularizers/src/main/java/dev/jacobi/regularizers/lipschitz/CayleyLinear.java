package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Init;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.regularizers.spectral.LipschitzLayer;
import java.util.List;
import java.util.Map;

/**
 * Orthogonal linear layer by the Cayley transform (Trockman and Kolter, ICLR 2021): {@code y = x·Qᵀ + b} with
 * {@code Q = cayley(α·W/‖W‖_F)} ({@link #cayley}), whose columns (or rows, when {@code in > out}) are orthonormal,
 * so the layer is 1-Lipschitz and, with {@code out ≥ in}, gradient-norm preserving. {@code W} is uniform in
 * {@code ±1/√in} and the scale {@code α} starts at {@code ‖W‖_F}, as in the authors' {@code CayleyLinear}.
 */
public final class CayleyLinear extends Layer implements LipschitzLayer {
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter alpha;
    private final Parameter bias;

    /** A layer {@code in → out}, with a bias if {@code bias}. */
    public CayleyLinear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("CayleyLinear: feature counts must be positive, got in=" + in
                    + ", out=" + out);
        }
        this.in = in;
        this.out = out;
        double std = 1 / Math.sqrt(in);
        Tensor w = Init.uniform(rng, new int[] {out, in}, -std, std);
        this.weight = registerParameter("weight", w);
        this.alpha = registerParameter("alpha", Tensor.scalar(w.norm(2).item()));
        this.bias = bias ? registerParameter("bias", Init.uniform(rng, new int[] {out}, -std, std)) : null;
    }

    /** A layer {@code in → out} with a bias. */
    public CayleyLinear(int in, int out, Rng rng) {
        this(in, out, true, rng);
    }

    /** The raw weight {@code W}, {@code [out, in]}. */
    public Parameter weight() {
        return weight;
    }

    /** The orthogonal weight {@code Q}, {@code [out, in]}. */
    public Var orthogonalWeight() {
        Var w = weight.var();
        return cayley(w.mul(alpha.var().div(w.square().sum().sqrt())));
    }

    /**
     * The Cayley transform of the matrices in the last two dims of {@code m} ({@code [..., r, c]}), as the authors'
     * {@code cayley_func}: with {@code r ≥ c}, {@code U} the first {@code c} rows and {@code V} the others,
     * {@code A = U − Uᵀ + VᵀV} and {@code Q = [(I + A)⁻¹(I − A); −2·V·(I + A)⁻¹]}, which has orthonormal columns
     * ({@code I + A} is invertible: its symmetric part is {@code I + VᵀV}); with {@code r < c}, the transpose of the
     * transform of {@code mᵀ}. Differentiable to any order ({@link Var#inverse}).
     */
    public static Var cayley(Var m) {
        int[] s = m.shape();
        int r = s[s.length - 2];
        int c = s[s.length - 1];
        if (c > r) {
            return cayley(m.mT()).mT();
        }
        Var u = m.narrow(s.length - 2, 0, c);
        Var a = u.sub(u.mT());
        Var v = null;
        if (r > c) {
            v = m.narrow(s.length - 2, c, r - c);
            a = a.add(v.mT().matmul(v));
        }
        Var eye = Var.of(Tensor.eye(m.dtype(), c));
        Var inv = eye.add(a).inverse();
        Var top = inv.matmul(eye.sub(a));
        return v == null ? top : Var.cat(List.of(top, v.matmul(inv).mul(-2)), s.length - 2);
    }

    /** {@code y = x·Qᵀ + b}: {@code [..., in] → [..., out]}. */
    @Override
    public Var forward(Var x) {
        checkFeatures(x, in);
        Var y = x.matmul(orthogonalWeight().t());
        return bias == null ? y : y.add(bias.var());
    }

    /** 1: {@code Q} has orthonormal columns or rows. */
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
