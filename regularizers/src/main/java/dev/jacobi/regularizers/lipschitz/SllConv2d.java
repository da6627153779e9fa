package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Init;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.regularizers.spectral.GramBound;
import dev.jacobi.regularizers.spectral.LipschitzLayer;
import java.util.Map;

/**
 * SDP-based Lipschitz convolution, SLL (Araujo, Havens, Delattre, Allauzen and Hu, ICLR 2023), stride 1 with zero
 * padding {@code k/2}: {@code y = x − convᵀ(t ⊙ ReLU(conv(x, W) + b), W)} with, per inner channel,
 * {@code tᵢ = 2 / Σ_{j,u,v} |qᵢ⁻¹·G_ij[u,v]·qⱼ|} and {@code G} the kernel of {@code W·Wᵀ}
 * ({@link GramBound#selfCorrelation}), as {@link SllLinear} does with the matrix {@code WWᵀ}. It is 1-Lipschitz for
 * every {@code W} and positive {@code q} on the infinite grid (their Theorem 3), and the zero-padded layer is a
 * restriction of that one. {@code W} is {@code [inner, channels, k, k]}; the layer maps
 * {@code [N, channels, H, W]} to itself.
 */
public final class SllConv2d extends Layer implements LipschitzLayer {
    private final int channels;
    private final int inner;
    private final int kernel;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter q;

    /** A layer on {@code channels} with {@code inner} hidden channels, Xavier-normal {@code W}, {@code q} ~ U(0, 1). */
    public SllConv2d(int channels, int inner, int kernel, Rng rng) {
        if (channels <= 0 || inner <= 0 || kernel <= 0 || kernel % 2 == 0) {
            throw new IllegalArgumentException("SllConv2d: need positive channels and an odd kernel size, got "
                    + "channels=" + channels + ", inner=" + inner + ", kernel=" + kernel);
        }
        this.channels = channels;
        this.inner = inner;
        this.kernel = kernel;
        this.weight = registerParameter("weight", Init.xavierNormal(rng, new int[] {inner, channels, kernel, kernel},
                1));
        this.bias = registerParameter("bias", Tensor.zeros(inner));
        this.q = registerParameter("q", Init.uniform(rng, new int[] {inner}, 0, 1));
    }

    /** {@code W}, {@code [inner, channels, k, k]}. */
    public Parameter weight() {
        return weight;
    }

    /** The scales {@code q}, {@code [inner]}. */
    public Parameter q() {
        return q;
    }

    @Override
    public Var forward(Var x) {
        checkImages(x, channels);
        Var w = weight.var();
        Var t = scales(w, q.var());
        Conv2dSpec same = Conv2dSpec.of(1, kernel / 2);
        Var h = x.conv2d(w, bias.var(), same).relu().mul(t.reshape(1, inner, 1, 1));
        int[] s = x.shape();
        return x.sub(Var.conv2dInput(h, w, s[2], s[3], same));
    }

    /**
     * The scales {@code tᵢ = 2 / (Σ_{j,u,v} |qᵢ|⁻¹·|G_ij[u,v]|·|qⱼ| + EPS)} ({@code [inner]}) of a kernel
     * {@code w [inner, channels, k, k]} and {@code q [inner]}, {@code G} the kernel of {@code W·Wᵀ}.
     */
    public static Var scales(Var w, Var q) {
        int inner = w.shape()[0];
        Var qa = q.abs();
        Var qInv = qa.add(SllLinear.EPS).pow(-1);
        Var g = GramBound.selfCorrelation(w).abs().mul(qInv.reshape(inner, 1, 1, 1)).mul(qa.reshape(1, inner, 1, 1));
        return g.sum(new int[] {1, 2, 3}, false).add(SllLinear.EPS).pow(-1).mul(2);
    }

    /** 1, for every {@code W} and {@code q}. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String label() {
        return "SllConv2d(" + channels + ", inner " + inner + ", " + kernel + "x" + kernel + ")";
    }

    @Override
    protected String extraRepr() {
        return "channels=" + channels + ", inner=" + inner + ", kernel_size=" + kernel;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("channels", channels, "inner", inner, "kernel_size", kernel);
    }
}
