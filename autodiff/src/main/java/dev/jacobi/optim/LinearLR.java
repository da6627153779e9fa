package dev.jacobi.optim;

/**
 * A linear ramp of the lr, as PyTorch's {@code LinearLR}, most often a warm-up:
 * {@code lr_e = base_lr·(s + (f − s)·min(e, T)/T)} from {@code startFactor s} to {@code endFactor f} over
 * {@code totalIters T} steps, then constant. {@code new LinearLR(opt, 0.1, 1.0, 5)} warms up over five epochs.
 */
public final class LinearLR extends LRScheduler {
    private final double startFactor;
    private final double endFactor;
    private final int totalIters;

    /** A ramp from {@code startFactor} to {@code endFactor} of the optimiser's lr over {@code totalIters} steps. */
    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        super(optimizer);
        if (!(startFactor > 0 && startFactor <= 1) || !(endFactor >= 0 && endFactor <= 1) || totalIters <= 0) {
            throw new IllegalArgumentException("LinearLR: need 0 < startFactor <= 1, 0 <= endFactor <= 1 and"
                    + " totalIters > 0, got " + startFactor + ", " + endFactor + ", " + totalIters);
        }
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        setLastEpoch(0); // as PyTorch, the first lr is already scaled
    }

    @Override
    protected double lrAt(double baseLr, int epoch) {
        return baseLr * (startFactor + (endFactor - startFactor) * Math.min(epoch, totalIters) / totalIters);
    }
}
