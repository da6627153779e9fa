package dev.jacobi.core.conv;

/**
 * Stride, padding, dilation, groups and padding mode of a 2-D sliding window, below the public
 * {@code Conv2dSpec}: {@code circular} pads by wrapping around, otherwise with zeros.
 */
public record Window(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups,
                     boolean circular) {
    /** A window with stride {@code (sh, sw)} and padding {@code (ph, pw)}, no dilation, one group, zero padding. */
    public static Window of(int sh, int sw, int ph, int pw) {
        return new Window(sh, sw, ph, pw, 1, 1, 1, false);
    }

    /** This window with padding {@code p} on all sides. */
    Window withPadding(int p) {
        return new Window(strideH, strideW, p, p, dilationH, dilationW, groups, circular);
    }
}
