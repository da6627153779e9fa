package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;

/** Max pooling over {@code k×k} windows of NCHW input (stride defaults to {@code k}, padding counts as −∞). */
public final class MaxPool2d extends Module {
    private final int kernel;
    private final int stride;
    private final int padding;

    /** Pooling with the given window, stride and padding. */
    public MaxPool2d(int kernel, int stride, int padding) {
        if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel) {
            throw new IllegalArgumentException("MaxPool2d: bad kernel=" + kernel + ", stride=" + stride + ", padding="
                    + padding + " (want positive kernel and stride, 0 <= padding <= kernel/2)");
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    /** Non-overlapping pooling: stride = kernel, no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    /** Window size. */
    public int kernel() {
        return kernel;
    }

    /** Stride. */
    public int stride() {
        return stride;
    }

    /** Padding. */
    public int padding() {
        return padding;
    }

    @Override
    public Var forward(Var x) {
        if (x.dim() != 4) {
            throw error("input " + Shapes.str(x.shape()) + " is not [N, C, H, W]");
        }
        return x.maxPool2d(kernel, stride, padding);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding;
    }
}
