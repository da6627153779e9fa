package dev.jacobi.core.conv;

/**
 * Stride, padding, dilation, groups and padding mode of a 2-D sliding window, below the public
 * {@code Conv2dSpec}: {@code circular} pads by wrapping around, otherwise with zeros.
 */
public record Window(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups,
                     boolean circular) {
    /** This window with padding {@code p} on all sides. */
    Window withPadding(int p) {
        return new Window(strideH, strideW, p, p, dilationH, dilationW, groups, circular);
    }
}
