package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;

/** Max pooling over {@code k×k} windows of NCHW input; padding counts as −∞. */
public final class MaxPool2d extends Pool2d {
    /** Pooling with the given window, stride and padding. */
    public MaxPool2d(int kernel, int stride, int padding) {
        super("MaxPool2d", kernel, stride, padding);
    }

    /** Non-overlapping pooling: stride = kernel, no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    @Override
    Var pool(Var x) {
        return x.maxPool2d(kernel(), stride(), padding());
    }
}
