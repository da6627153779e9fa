package dev.jacobi.optim;

/**
 * A learning-rate schedule {@code lr_e = f(base_lr, e)} stepped once per epoch, as PyTorch's: construction sets
 * epoch 0 ({@code lr = base_lr}, the optimiser's lr then), each {@link #step()} advances the epoch and writes the
 * new lr into the optimiser. The closed forms are used, so an lr set by hand between steps is overwritten.
 */
public abstract class LRScheduler {
    private final Optimizer optimizer;
    private final double baseLr;
    private int epoch;

    /** A schedule for {@code optimizer} starting from its current lr. */
    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        this.baseLr = optimizer.lr();
    }

    /** The lr at {@code epoch} for the initial lr {@code baseLr}. */
    protected abstract double lrAt(double baseLr, int epoch);

    /** Advances one epoch and sets the optimiser's lr. */
    public void step() {
        epoch++;
        optimizer.setLr(lrAt(baseLr, epoch));
    }

    /** The current epoch (0 after construction). */
    public int lastEpoch() {
        return epoch;
    }

    /** Jumps to {@code epoch} (e.g. when resuming from a checkpoint) and sets the lr for it. */
    public void setLastEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": epoch must be >= 0, got " + epoch);
        }
        this.epoch = epoch;
        optimizer.setLr(lrAt(baseLr, epoch));
    }

    /** The lr most recently set ({@code get_last_lr()}). */
    public double lastLr() {
        return optimizer.lr();
    }
}
