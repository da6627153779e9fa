package dev.jacobi.optim;

/** {@code lr_e = base_lr · γ^⌊e / stepSize⌋}: decays by {@code gamma} every {@code stepSize} epochs. */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    /** Decays the lr of {@code optimizer} by {@code gamma} every {@code stepSize > 0} epochs. */
    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize <= 0) {
            throw new IllegalArgumentException("StepLR: stepSize must be positive, got " + stepSize);
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
    }

    @Override
    protected double lrAt(double baseLr, int epoch) {
        return baseLr * Math.pow(gamma, epoch / stepSize);
    }
}
