package dev.jacobi.optim;

/** {@code lr_e = base_lr · γ^e}. */
public final class ExponentialLR extends LRScheduler {
    private final double gamma;

    /** Decays the lr of {@code optimizer} by {@code gamma} every epoch. */
    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer);
        this.gamma = gamma;
    }

    @Override
    protected double lrAt(double baseLr, int epoch) {
        return baseLr * Math.pow(gamma, epoch);
    }
}
