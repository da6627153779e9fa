package dev.jacobi.core;

/**
 * Hyper-parameters of a 2-D convolution (PyTorch {@code nn.Conv2d} semantics):
 * {@code y[n,o,i,j] = Σ_{c,p,q} w[o,c,p,q]·xpad[n, g·Cin/G + c, i·strideH + p·dilationH, j·strideW + q·dilationW]},
 * where {@code xpad} is the input padded by {@code (padH, padW)} on each side according to {@code mode}
 * (zeros, or circular wrap-around) and {@code g} is the group of output channel {@code o}.
 *
 * @param strideH   vertical stride, at least 1
 * @param strideW   horizontal stride, at least 1
 * @param padH      rows of padding above and below, at least 0
 * @param padW      columns of padding left and right, at least 0
 * @param dilationH vertical spacing of kernel taps, at least 1
 * @param dilationW horizontal spacing of kernel taps, at least 1
 * @param groups    number of channel groups, at least 1 (it must divide both channel counts)
 * @param mode      how the padding is filled
 */
public record Conv2dSpec(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups,
                         PaddingMode mode) {
    /** Validates: stride &ge; 1, pad &ge; 0, dilation &ge; 1, groups &ge; 1, mode not null. */
    public Conv2dSpec {
        if (strideH < 1 || strideW < 1 || padH < 0 || padW < 0 || dilationH < 1 || dilationW < 1 || groups < 1
                || mode == null) {
            throw new IllegalArgumentException("Conv2dSpec: need stride >= 1, pad >= 0, dilation >= 1, groups >= 1"
                    + " and a mode, got stride (" + strideH + ", " + strideW + "), pad (" + padH + ", " + padW
                    + "), dilation (" + dilationH + ", " + dilationW + "), groups " + groups + ", mode " + mode);
        }
    }

    /**
     * Stride 1, no padding, dilation 1, one group, zero padding mode.
     *
     * @return the default spec
     */
    public static Conv2dSpec defaults() {
        return new Conv2dSpec(1, 1, 0, 0, 1, 1, 1, PaddingMode.ZEROS);
    }

    /**
     * The default spec with the given stride and padding in both directions.
     *
     * @param stride  stride in both directions
     * @param padding padding in both directions
     * @return the spec
     */
    public static Conv2dSpec of(int stride, int padding) {
        return defaults().withStride(stride).withPadding(padding);
    }

    /**
     * This spec with both strides set.
     *
     * @param stride stride in both directions
     * @return the new spec
     */
    public Conv2dSpec withStride(int stride) {
        return new Conv2dSpec(stride, stride, padH, padW, dilationH, dilationW, groups, mode);
    }

    /**
     * This spec with both paddings set.
     *
     * @param padding padding in both directions
     * @return the new spec
     */
    public Conv2dSpec withPadding(int padding) {
        return new Conv2dSpec(strideH, strideW, padding, padding, dilationH, dilationW, groups, mode);
    }

    /**
     * This spec with both dilations set.
     *
     * @param dilation dilation in both directions
     * @return the new spec
     */
    public Conv2dSpec withDilation(int dilation) {
        return new Conv2dSpec(strideH, strideW, padH, padW, dilation, dilation, groups, mode);
    }

    /**
     * This spec with the group count set.
     *
     * @param g number of groups
     * @return the new spec
     */
    public Conv2dSpec withGroups(int g) {
        return new Conv2dSpec(strideH, strideW, padH, padW, dilationH, dilationW, g, mode);
    }

    /**
     * This spec with the padding mode set.
     *
     * @param m the padding mode
     * @return the new spec
     */
    public Conv2dSpec withMode(PaddingMode m) {
        return new Conv2dSpec(strideH, strideW, padH, padW, dilationH, dilationW, groups, m);
    }
}
