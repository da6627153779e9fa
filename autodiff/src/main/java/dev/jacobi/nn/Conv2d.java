package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Rng;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * 2-D convolution layer on NCHW input: weight {@code [cout, cin/groups, k, k]}, bias {@code [cout]}, with stride,
 * zero or circular padding, dilation and groups. Initialised as PyTorch's: {@code W, b ~ U(-1/√fanIn, 1/√fanIn)}
 * with {@code fanIn = cin/groups·k²}, float32.
 */
public final class Conv2d extends Layer {
    private final int cin;
    private final int cout;
    private final int kernel;
    private final Conv2dSpec spec;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A convolution {@code cin → cout} with a {@code kernel×kernel} window.
     *
     * @param cin    input channels
     * @param cout   output channels
     * @param kernel window size
     * @param spec   stride, padding, dilation, groups and padding mode
     * @param bias   whether to add a bias
     * @param rng    source of the initial weights
     */
    public Conv2d(int cin, int cout, int kernel, Conv2dSpec spec, boolean bias, Rng rng) {
        if (cin <= 0 || cout <= 0 || kernel <= 0) {
            throw new IllegalArgumentException("Conv2d: channels and kernel must be positive, got cin=" + cin
                    + ", cout=" + cout + ", kernel=" + kernel);
        }
        if (cin % spec.groups() != 0 || cout % spec.groups() != 0) {
            throw new IllegalArgumentException("Conv2d: groups=" + spec.groups() + " must divide cin=" + cin
                    + " and cout=" + cout);
        }
        this.cin = cin;
        this.cout = cout;
        this.kernel = kernel;
        this.spec = spec;
        int fanIn = cin / spec.groups() * kernel * kernel;
        double bound = 1 / Math.sqrt(fanIn);
        this.weight = registerParameter("weight", Init.kaimingUniform(rng, new int[] {cout, cin / spec.groups(), kernel,
                kernel}, Math.sqrt(5), Init.FanMode.FAN_IN, Init.Nonlinearity.LEAKY_RELU));
        this.bias = bias ? registerParameter("bias", Init.uniform(rng, new int[] {cout}, -bound, bound)) : null;
    }

    /** A convolution with a bias, the given stride and zero padding. */
    public Conv2d(int cin, int cout, int kernel, int stride, int padding, Rng rng) {
        this(cin, cout, kernel, Conv2dSpec.of(stride, padding), true, rng);
    }

    /** The weight, {@code [cout, cin/groups, k, k]}. */
    public Parameter weight() {
        return weight;
    }

    /** The bias, {@code [cout]}, or null. */
    public Parameter bias() {
        return bias;
    }

    /** Stride, padding, dilation, groups and padding mode. */
    public Conv2dSpec spec() {
        return spec;
    }

    /** {@code [N, cin, H, W] → [N, cout, H', W']}. */
    @Override
    public Var forward(Var x) {
        checkImages(x, cin);
        return x.conv2d(weight.var(), bias == null ? null : bias.var(), spec);
    }

    @Override
    protected String label() {
        return "Conv2d(" + cin + " -> " + cout + ", " + kernel + "x" + kernel + ")";
    }

    @Override
    protected String extraRepr() {
        return cin + ", " + cout + ", kernel_size=(" + kernel + ", " + kernel + "), stride=(" + spec.strideH() + ", "
                + spec.strideW() + "), padding=(" + spec.padH() + ", " + spec.padW() + ")"
                + (spec.dilationH() != 1 ? ", dilation=(" + spec.dilationH() + ", " + spec.dilationW() + ")" : "")
                + (spec.groups() != 1 ? ", groups=" + spec.groups() : "")
                + (bias == null ? ", bias=false" : "")
                + (spec.mode() == PaddingMode.CIRCULAR ? ", padding_mode=circular" : "");
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("in_channels", cin);
        c.put("out_channels", cout);
        c.put("kernel_size", kernel);
        c.put("stride", new int[] {spec.strideH(), spec.strideW()});
        c.put("padding", new int[] {spec.padH(), spec.padW()});
        c.put("dilation", new int[] {spec.dilationH(), spec.dilationW()});
        c.put("groups", spec.groups());
        c.put("bias", bias != null);
        c.put("padding_mode", spec.mode() == PaddingMode.CIRCULAR ? "circular" : "zeros");
        return c;
    }
}
