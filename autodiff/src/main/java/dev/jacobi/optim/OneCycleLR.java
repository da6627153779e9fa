package dev.jacobi.optim;

/**
 * The one-cycle policy, as PyTorch's {@code OneCycleLR} (two phases, cosine annealing): the lr rises from
 * {@code maxLr/divFactor} to {@code maxLr} over the first {@code pctStart} of {@code totalSteps}, then falls to
 * {@code maxLr/(divFactor·finalDivFactor)} at the last step. It overrides the optimiser's lr from construction on.
 * PyTorch steps it once per batch: call {@link #step()} after each optimiser step (the {@code Trainer} steps its
 * scheduler once per epoch, so there {@code totalSteps} counts epochs). Momentum is not cycled.
 */
public final class OneCycleLR extends LRScheduler {
    private final double maxLr;
    private final int totalSteps;
    private final double initialLr;
    private final double minLr;
    private final double warmEnd;

    /** PyTorch's defaults: {@code pctStart = 0.3}, {@code divFactor = 25}, {@code finalDivFactor = 1e4}. */
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps) {
        this(optimizer, maxLr, totalSteps, 0.3, 25, 1e4);
    }

    /** A cycle peaking at {@code maxLr} after {@code pctStart·totalSteps} steps. */
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart, double divFactor,
                      double finalDivFactor) {
        super(optimizer);
        if (!(maxLr > 0) || totalSteps <= 1 || !(pctStart > 0 && pctStart < 1) || !(divFactor > 0)
                || !(finalDivFactor > 0)) {
            throw new IllegalArgumentException("OneCycleLR: need maxLr > 0, totalSteps > 1, 0 < pctStart < 1 and"
                    + " positive div factors, got maxLr=" + maxLr + ", totalSteps=" + totalSteps + ", pctStart="
                    + pctStart + ", divFactor=" + divFactor + ", finalDivFactor=" + finalDivFactor);
        }
        this.maxLr = maxLr;
        this.totalSteps = totalSteps;
        this.initialLr = maxLr / divFactor;
        this.minLr = initialLr / finalDivFactor;
        this.warmEnd = pctStart * totalSteps - 1;
        setLastEpoch(0);
    }

    @Override
    protected double lrAt(double baseLr, int step) {
        if (step > totalSteps) {
            throw new IllegalStateException("OneCycleLR: stepped " + step + " times, beyond totalSteps = " + totalSteps);
        }
        if (step <= warmEnd) {
            return anneal(initialLr, maxLr, warmEnd <= 0 ? 1 : step / warmEnd);
        }
        return anneal(maxLr, minLr, (step - warmEnd) / (totalSteps - 1 - warmEnd));
    }

    private static double anneal(double start, double end, double pct) {
        return end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1);
    }
}
