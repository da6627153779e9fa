package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;

/**
 * Transposed 2-D convolution, as PyTorch's {@code nn.ConvTranspose2d}: the adjoint of a {@link Conv2d} with the same
 * kernel, stride and padding, {@code [N, cin, H, W] → [N, cout, H', W']} with
 * {@code H' = (H − 1)·stride − 2·padding + kernel + outputPadding}. The weight is {@code [cin, cout, k, k]} and the
 * bias {@code [cout]}, initialised as PyTorch's. It runs on {@link Var#conv2dInput}, so it has that op's derivatives
 * to any order.
 */
public final class ConvTranspose2d extends Layer {
    private final int cin;
    private final int cout;
    private final int kernel;
    private final int outputPadding;
    private final Conv2dSpec spec;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A transposed convolution {@code cin → cout}.
     *
     * @param outputPadding extra rows and columns at the bottom and right, {@code 0 ≤ outputPadding < stride}, to
     *                      choose among the output sizes that a strided convolution maps to the same input size
     */
    public ConvTranspose2d(int cin, int cout, int kernel, int stride, int padding, int outputPadding, boolean bias,
                           Rng rng) {
        if (cin <= 0 || cout <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("ConvTranspose2d: channels, kernel and stride must be positive and"
                    + " padding non-negative, got cin=" + cin + ", cout=" + cout + ", kernel=" + kernel + ", stride="
                    + stride + ", padding=" + padding);
        }
        if (outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException("ConvTranspose2d: output_padding must be in [0, stride=" + stride
                    + "), got " + outputPadding);
        }
        this.cin = cin;
        this.cout = cout;
        this.kernel = kernel;
        this.outputPadding = outputPadding;
        this.spec = Conv2dSpec.of(stride, padding);
        double bound = 1 / Math.sqrt(cout * kernel * kernel); // PyTorch's fan-in of a [cin, cout, k, k] weight
        this.weight = registerParameter("weight", Init.uniform(rng, new int[] {cin, cout, kernel, kernel}, -bound,
                bound));
        this.bias = bias ? registerParameter("bias", Init.uniform(rng, new int[] {cout}, -bound, bound)) : null;
    }

    /** A transposed convolution with a bias, the given stride and padding, and no output padding. */
    public ConvTranspose2d(int cin, int cout, int kernel, int stride, int padding, Rng rng) {
        this(cin, cout, kernel, stride, padding, 0, true, rng);
    }

    /** The weight, {@code [cin, cout, k, k]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias, {@code [cout]}, or null. */
    public Parameter bias() {
        return bias;
    }

    @Override
    public Var forward(Var x) {
        checkImages(x, cin);
        int[] s = x.shape();
        int h = (s[2] - 1) * spec.strideH() - 2 * spec.padH() + kernel + outputPadding;
        int w = (s[3] - 1) * spec.strideW() - 2 * spec.padW() + kernel + outputPadding;
        if (h <= 0 || w <= 0) {
            throw error("input " + Shapes.str(s) + " gives an empty output " + h + "x" + w);
        }
        Var y = Var.conv2dInput(x, weight.var(), h, w, spec);
        return bias == null ? y : y.add(bias.var().reshape(1, cout, 1, 1));
    }

    @Override
    protected String extraRepr() {
        return cin + ", " + cout + ", kernel_size=(" + kernel + ", " + kernel + "), stride=(" + spec.strideH() + ", "
                + spec.strideW() + "), padding=(" + spec.padH() + ", " + spec.padW() + ")"
                + (outputPadding != 0 ? ", output_padding=(" + outputPadding + ", " + outputPadding + ")" : "")
                + (bias == null ? ", bias=false" : "");
    }
}
