package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;

/**
 * 1-D convolution (cross-correlation), as PyTorch's {@code nn.Conv1d}: {@code [N, cin, L] → [N, cout, L']} with
 * {@code L' = ⌊(L + 2·padding − kernel) / stride⌋ + 1}, weight {@code [cout, cin, kernel]} and bias {@code [cout]},
 * initialised as PyTorch's. It runs as a 2-D convolution of height 1, so it has that op's derivatives to any order.
 */
public final class Conv1d extends Layer {
    private final int cin;
    private final int cout;
    private final int kernel;
    private final Conv2dSpec spec;
    private final Parameter weight;
    private final Parameter bias;

    /** A convolution {@code cin → cout} over windows of {@code kernel}, with {@code stride} and zero padding. */
    public Conv1d(int cin, int cout, int kernel, int stride, int padding, boolean bias, Rng rng) {
        if (cin <= 0 || cout <= 0 || kernel <= 0) {
            throw new IllegalArgumentException("Conv1d: channels and kernel must be positive, got cin=" + cin
                    + ", cout=" + cout + ", kernel=" + kernel);
        }
        this.cin = cin;
        this.cout = cout;
        this.kernel = kernel;
        this.spec = new Conv2dSpec(1, stride, 0, padding, 1, 1, 1, PaddingMode.ZEROS);
        double bound = 1 / Math.sqrt(cin * kernel);
        this.weight = registerParameter("weight", Init.kaimingUniform(rng, new int[] {cout, cin, kernel}, Math.sqrt(5),
                Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU));
        this.bias = bias ? registerParameter("bias", Init.uniform(rng, new int[] {cout}, -bound, bound)) : null;
    }

    /** A convolution with a bias, stride 1 and no padding. */
    public Conv1d(int cin, int cout, int kernel, Rng rng) {
        this(cin, cout, kernel, 1, 0, true, rng);
    }

    /** The weight, {@code [cout, cin, kernel]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias, {@code [cout]}, or null. */
    public Parameter bias() {
        return bias;
    }

    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        if (s.length != 3 || s[1] != cin) {
            throw error("input " + Shapes.str(s) + " is not [N, " + cin + ", L]");
        }
        if (s[2] + 2 * spec.padW() < kernel) {
            throw error("input length " + s[2] + " with padding " + spec.padW() + " is shorter than the kernel "
                    + kernel);
        }
        checkDtype(x);
        return x.unsqueeze(2).conv2d(weight.var().unsqueeze(2), bias == null ? null : bias.var(), spec).squeeze(2);
    }

    @Override
    protected String extraRepr() {
        return cin + ", " + cout + ", kernel_size=(" + kernel + ",), stride=(" + spec.strideW() + ",), padding=("
                + spec.padW() + ",)" + (bias == null ? ", bias=false" : "");
    }
}
