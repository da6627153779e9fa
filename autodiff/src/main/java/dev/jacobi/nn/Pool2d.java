package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import java.util.Map;

/** Shared window settings and checks of {@link MaxPool2d} and {@link AvgPool2d}: {@code k×k} windows on NCHW input. */
public abstract class Pool2d extends Layer {
    private final int kernel;
    private final int stride;
    private final int padding;

    Pool2d(String name, int kernel, int stride, int padding) {
        if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel) {
            throw new IllegalArgumentException(name + ": bad kernel=" + kernel + ", stride=" + stride + ", padding="
                    + padding + " (want positive kernel and stride, 0 <= padding <= kernel/2)");
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
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

    /** Pools {@code x} of shape {@code [N, C, H, W]}. */
    abstract Var pool(Var x);

    @Override
    public Var forward(Var x) {
        if (x.dim() != 4) {
            throw error("input " + Shapes.str(x.shape()) + " is not [N, C, H, W]");
        }
        return pool(x);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("kernel_size", kernel, "stride", stride, "padding", padding);
    }
}
