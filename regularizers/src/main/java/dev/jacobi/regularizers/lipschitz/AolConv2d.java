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
 * Almost-orthogonal convolution, AOL (Prach and Lampert, ECCV 2022), stride 1 with zero padding {@code k/2}:
 * {@code y = conv(x, P·D) + b}, where {@code D = diag(dᵢ)} scales the input channels by
 * {@code dᵢ = (Σ_{j,u,v} |(PᵀP)ᵢⱼ[u,v]|)^(−1/2)} and {@code PᵀP} is the kernel's full self-correlation
 * ({@code [cin, cin, 2k−1, 2k−1]}), the convolution form of {@link AolLinear}'s {@code Σⱼ |PᵀP|ᵢⱼ}. This makes the
 * convolution on the infinite grid 1-Lipschitz for every {@code P} (their Theorem 2), and a zero-padded one is a
 * restriction of it. The raw kernel is the trained parameter, initialised with an orthogonal centre tap and zeros
 * elsewhere (where the rescaling is the identity); the bias starts at zero.
 */
public final class AolConv2d extends Layer implements LipschitzLayer {
    private final int cin;
    private final int cout;
    private final int kernel;
    private final Parameter weight;
    private final Parameter bias;

    /** A convolution {@code cin → cout} with an odd {@code kernel × kernel} kernel, with a bias if {@code bias}. */
    public AolConv2d(int cin, int cout, int kernel, boolean bias, Rng rng) {
        if (cin <= 0 || cout <= 0 || kernel <= 0 || kernel % 2 == 0) {
            throw new IllegalArgumentException("AolConv2d: need positive channels and an odd kernel size, got cin="
                    + cin + ", cout=" + cout + ", kernel=" + kernel);
        }
        this.cin = cin;
        this.cout = cout;
        this.kernel = kernel;
        Tensor centre = Init.orthogonal(rng, new int[] {cout, cin}, 1);
        Tensor w = Tensor.zeros(cout, cin, kernel, kernel);
        w.narrow(2, kernel / 2, 1).narrow(3, kernel / 2, 1).copy_(centre.reshape(cout, cin, 1, 1));
        this.weight = registerParameter("weight", w);
        this.bias = bias ? registerParameter("bias", Tensor.zeros(cout)) : null;
    }

    /** A convolution {@code cin → cout} with an odd kernel and a bias. */
    public AolConv2d(int cin, int cout, int kernel, Rng rng) {
        this(cin, cout, kernel, true, rng);
    }

    /** The raw kernel {@code P}, {@code [cout, cin, k, k]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias, {@code [cout]}, or null. */
    public Parameter bias() {
        return bias;
    }

    /** {@code P·D}, the kernel the forward pass uses. */
    public Var rescaledWeight() {
        return rescale(weight.var());
    }

    /** AOL's rescaling of any kernel {@code [cout, cin, k, k]} with {@code k} odd. */
    public static Var rescale(Var p) {
        Var ptp = GramBound.selfCorrelation(p.transpose(0, 1));
        Var d = ptp.abs().sum(new int[] {1, 2, 3}, false).add(AolLinear.FLOOR).pow(-0.5);
        return p.mul(d.reshape(1, p.shape()[1], 1, 1));
    }

    /** {@code [N, cin, H, W] → [N, cout, H, W]}. */
    @Override
    public Var forward(Var x) {
        checkImages(x, cin);
        return x.conv2d(rescaledWeight(), bias == null ? null : bias.var(), Conv2dSpec.of(1, kernel / 2));
    }

    /** 1: {@code ‖conv(·, P·D)‖₂ ≤ 1}. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String label() {
        return "AolConv2d(" + cin + " -> " + cout + ", " + kernel + "x" + kernel + ")";
    }

    @Override
    protected String extraRepr() {
        return cin + ", " + cout + ", kernel_size=(" + kernel + ", " + kernel + "), padding=" + kernel / 2 + ", bias="
                + (bias != null);
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("in_channels", cin, "out_channels", cout, "kernel_size", kernel, "bias", bias != null);
    }
}
