package dev.jacobi.nn;

/** {@link BatchNorm} over {@code [N, C, H, W]} inputs, statistics per channel C. */
public final class BatchNorm2d extends BatchNorm {
    /** PyTorch's defaults: eps 1e-5, momentum 0.1. */
    public BatchNorm2d(int channels) {
        this(channels, 1e-5, 0.1);
    }

    /** A batch norm for {@code channels} channels with the given {@code eps} and {@code momentum}. */
    public BatchNorm2d(int channels, double eps, double momentum) {
        super(channels, eps, momentum, 4);
    }

    @Override
    protected String expected() {
        return "[N, C, H, W]";
    }
}
