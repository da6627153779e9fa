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
import java.util.List;
import java.util.Map;

/**
 * Skew-orthogonal convolution, SOC (Singla and Feizi, ICML 2021), stride 1 with zero padding {@code k/2}:
 * {@code y = exp(A)·x + b}, with {@code A} the convolution with the skew kernel {@code S = (V − Vᵀ)/2}
 * ({@code Vᵀ} the kernel of the adjoint: channels swapped, taps flipped), so that the zero-padded {@code A} is a
 * skew-symmetric matrix and {@code exp(A)} orthogonal. {@code S} is scaled to {@code ‖A‖ ≤} {@link #CORRECTION} by
 * the zero-padding Gram bound ({@link GramBound#zeroPadding}; the authors use Singla–Feizi's bound, estimated by
 * power iteration), and the exponential is the Taylor series cut after {@link #TRAIN_TERMS} terms in training and
 * {@link #EVAL_TERMS} in evaluation, as the authors' code does. The cut series is orthogonal up to its tail
 * {@code Σ_{k>T} 0.7^k/k!} (1.6e-4 for 5 terms, 1e-11 for 12), which {@link #lipschitzConstant} adds to 1. With
 * {@code cin < cout} the input is padded with zero channels, with {@code cin > cout} the output keeps the first
 * {@code cout} channels (both 1-Lipschitz).
 */
public final class SocConv2d extends Layer implements LipschitzLayer {
    /** The bound on {@code ‖A‖}: the authors' {@code correction}. */
    public static final double CORRECTION = 0.7;
    /** Taylor terms in training (the authors' {@code train_terms}). */
    public static final int TRAIN_TERMS = 5;
    /** Taylor terms in evaluation (the authors' {@code eval_terms}). */
    public static final int EVAL_TERMS = 12;
    /** Steps of the zero-padding bound that scales {@code S}. */
    public static final int GRAM_STEPS = 2;

    private final int cin;
    private final int cout;
    private final int channels;
    private final int kernel;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A skew-orthogonal convolution {@code cin → cout} with an odd {@code kernel × kernel} kernel and a bias if
     * {@code bias}; {@code V} is {@code [c, c, k, k]} with {@code c = max(cin, cout)}, normal with std
     * {@code 1/√c} as the authors initialise it.
     */
    public SocConv2d(int cin, int cout, int kernel, boolean bias, Rng rng) {
        if (cin <= 0 || cout <= 0 || kernel <= 0 || kernel % 2 == 0 || (kernel == 1 && Math.max(cin, cout) == 1)) {
            throw new IllegalArgumentException("SocConv2d: need positive channels and an odd kernel size, and not a "
                    + "1x1 kernel on one channel (whose skew part is 0), got cin=" + cin + ", cout=" + cout
                    + ", kernel=" + kernel);
        }
        this.cin = cin;
        this.cout = cout;
        this.channels = Math.max(cin, cout);
        this.kernel = kernel;
        this.weight = registerParameter("weight", Init.normal(rng, new int[] {channels, channels, kernel, kernel}, 0,
                1 / Math.sqrt(channels)));
        this.bias = bias ? registerParameter("bias", Tensor.zeros(cout)) : null;
    }

    /** A skew-orthogonal convolution {@code cin → cout} with a bias. */
    public SocConv2d(int cin, int cout, int kernel, Rng rng) {
        this(cin, cout, kernel, true, rng);
    }

    /** The raw kernel {@code V}, {@code [c, c, k, k]}. */
    public Parameter weight() {
        return weight;
    }

    /** The kernel of {@code A}: {@code (V − Vᵀ)/2} scaled so that {@code ‖A‖ ≤ CORRECTION}. */
    public Var skewKernel() {
        return skew(weight.var());
    }

    /**
     * {@code CORRECTION·S/B(S)} with {@code S = (V − Vᵀ)/2} for any kernel {@code V} ({@code [c, c, k, k]}), where
     * {@code Vᵀ} is the kernel of the adjoint convolution (channels swapped, taps flipped) and {@code B} the
     * zero-padding Gram bound.
     */
    public static Var skew(Var v) {
        int[] s = v.shape();
        int c = s[0];
        int taps = s[2] * s[3];
        // taps reversed (a flip of both spatial dims) by a permutation matrix
        double[] rev = new double[taps * taps];
        for (int i = 0; i < taps; i++) {
            rev[i * taps + taps - 1 - i] = 1;
        }
        Var flipped = v.transpose(0, 1).reshape(c * c, taps).matmul(Var.of(Tensor.of(rev, taps, taps).to(v.dtype())))
                .reshape(s);
        Var skew = v.sub(flipped).mul(0.5);
        return skew.mul(GramBound.zeroPadding(skew, GRAM_STEPS).pow(-1).mul(CORRECTION));
    }

    /** Taylor terms used now: {@link #TRAIN_TERMS} in training mode, {@link #EVAL_TERMS} in evaluation. */
    public int terms() {
        return isTraining() ? TRAIN_TERMS : EVAL_TERMS;
    }

    /** {@code [N, cin, H, W] → [N, cout, H, W]}. */
    @Override
    public Var forward(Var x) {
        checkImages(x, cin);
        Var a = skewKernel();
        Conv2dSpec same = Conv2dSpec.of(1, kernel / 2);
        Var z = x;
        if (cin < channels) {
            int[] s = x.shape();
            z = Var.cat(List.of(x, Var.of(Tensor.zeros(x.dtype(), s[0], channels - cin, s[2], s[3]))), 1);
        }
        Var term = z;
        int terms = terms();
        for (int i = 1; i <= terms; i++) {
            term = term.conv2d(a, null, same).div(i);
            z = z.add(term);
        }
        if (cout < channels) {
            z = z.narrow(1, 0, cout);
        }
        return bias == null ? z : z.add(bias.var().reshape(1, cout, 1, 1));
    }

    /** {@code 1 + Σ_{k>T} CORRECTION^k/k!} for the {@link #terms()} now used: the cut series' worst excess over 1. */
    @Override
    public double lipschitzConstant() {
        return 1 + tail(CORRECTION, terms());
    }

    /** {@code Σ_{k>terms} a^k/k!}, summed until the terms no longer change the sum. */
    static double tail(double a, int terms) {
        double term = 1;
        for (int k = 1; k <= terms; k++) {
            term *= a / k;
        }
        double sum = 0;
        for (int k = terms + 1; k < terms + 60; k++) {
            term *= a / k;
            sum += term;
        }
        return sum;
    }

    @Override
    protected String label() {
        return "SocConv2d(" + cin + " -> " + cout + ", " + kernel + "x" + kernel + ")";
    }

    @Override
    protected String extraRepr() {
        return cin + ", " + cout + ", kernel_size=(" + kernel + ", " + kernel + "), padding=" + kernel / 2 + ", bias="
                + (bias != null) + ", terms=" + TRAIN_TERMS + "/" + EVAL_TERMS;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("in_channels", cin, "out_channels", cout, "kernel_size", kernel, "bias", bias != null);
    }
}
