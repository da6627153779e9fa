package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;

/** Average pooling over {@code k×k} windows of NCHW input; zero padding counts in the divisor, as PyTorch's default. */
public final class AvgPool2d extends Pool2d {
    /** Pooling with the given window, stride and padding. */
    public AvgPool2d(int kernel, int stride, int padding) {
        super("AvgPool2d", kernel, stride, padding);
    }

    /** Non-overlapping pooling: stride = kernel, no padding. */
    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    @Override
    Var pool(Var x) {
        return x.avgPool2d(kernel(), stride(), padding());
    }
}
