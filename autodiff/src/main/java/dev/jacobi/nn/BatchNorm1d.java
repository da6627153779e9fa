package dev.jacobi.nn;

/** {@link BatchNorm} over {@code [N, C]} or {@code [N, C, L]} inputs, statistics per channel C. */
public final class BatchNorm1d extends BatchNorm {
    /** PyTorch's defaults: eps 1e-5, momentum 0.1. */
    public BatchNorm1d(int features) {
        this(features, 1e-5, 0.1);
    }

    /** A batch norm for {@code features} channels with the given {@code eps} and {@code momentum}. */
    public BatchNorm1d(int features, double eps, double momentum) {
        super(features, eps, momentum, 2, 3);
    }

    @Override
    protected String expected() {
        return "[N, C] or [N, C, L]";
    }
}
