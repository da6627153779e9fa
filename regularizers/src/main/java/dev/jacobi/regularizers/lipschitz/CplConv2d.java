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
 * Convex potential convolution, CPL (Meunier, Delattre, Araujo and Allauzen, ICML 2022), stride 1 with zero padding
 * {@code k/2}: {@code y = x − (2/B²)·convᵀ(ReLU(conv(x, W) + b), W)}, 1-Lipschitz when {@code B} bounds the
 * convolution's spectral norm. The authors estimate it by power iteration; here {@code B} is the zero-padding Gram
 * bound ({@link GramBound#zeroPadding}, {@link #GRAM_STEPS} steps), an upper bound for every input size, so the
 * layer is 1-Lipschitz by construction. {@code W} is {@code [inner, channels, k, k]}; the layer maps
 * {@code [N, channels, H, W]} to itself.
 */
public final class CplConv2d extends Layer implements LipschitzLayer {
    /** Steps of the zero-padding bound: each doubles the width of the kernel it correlates (3×3 → 17×17). */
    public static final int GRAM_STEPS = 3;

    private final int channels;
    private final int inner;
    private final int kernel;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer on {@code channels} with {@code inner} hidden channels, Xavier-normal {@code W} and a zero bias. */
    public CplConv2d(int channels, int inner, int kernel, Rng rng) {
        if (channels <= 0 || inner <= 0 || kernel <= 0 || kernel % 2 == 0) {
            throw new IllegalArgumentException("CplConv2d: need positive channels and an odd kernel size, got "
                    + "channels=" + channels + ", inner=" + inner + ", kernel=" + kernel);
        }
        this.channels = channels;
        this.inner = inner;
        this.kernel = kernel;
        this.weight = registerParameter("weight", Init.xavierNormal(rng, new int[] {inner, channels, kernel, kernel},
                1));
        this.bias = registerParameter("bias", Tensor.zeros(inner));
    }

    /** {@code W}, {@code [inner, channels, k, k]}. */
    public Parameter weight() {
        return weight;
    }

    @Override
    public Var forward(Var x) {
        checkImages(x, channels);
        Var w = weight.var();
        Var norm = GramBound.zeroPadding(w, GRAM_STEPS);
        Conv2dSpec same = Conv2dSpec.of(1, kernel / 2);
        Var h = x.conv2d(w, bias.var(), same).relu();
        int[] s = x.shape();
        return x.sub(Var.conv2dInput(h, w, s[2], s[3], same).mul(norm.square().pow(-1).mul(2)));
    }

    /** 1: a gradient step of size at most {@code 2/‖W‖²} on a convex potential. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String label() {
        return "CplConv2d(" + channels + ", inner " + inner + ", " + kernel + "x" + kernel + ")";
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
