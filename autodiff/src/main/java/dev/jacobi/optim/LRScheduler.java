package dev.jacobi.optim;

import java.util.List;

/**
 * A learning-rate schedule {@code lr_e = f(base_lr, e)} stepped once per epoch, as PyTorch's: construction sets
 * epoch 0 ({@code lr = base_lr}, the optimiser's lr then), each {@link #step()} advances the epoch and writes the
 * new lr into the optimiser, into every parameter group from that group's own base lr. The closed forms are used,
 * so an lr set by hand between steps is overwritten. Add parameter groups before making the schedule.
 */
public abstract class LRScheduler {
    private final Optimizer optimizer;
    private final double[] baseLrs;
    private int epoch;

    /** A schedule for {@code optimizer} starting from its groups' current lrs. */
    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        this.baseLrs = optimizer.paramGroups().stream().mapToDouble(Optimizer.ParamGroup::lr).toArray();
    }

    private void apply() {
        List<Optimizer.ParamGroup> groups = optimizer.paramGroups();
        if (groups.size() != baseLrs.length) {
            throw new IllegalStateException(getClass().getSimpleName() + ": the optimiser has " + groups.size()
                    + " parameter groups but had " + baseLrs.length + " when this schedule was made; add groups"
                    + " before making the schedule");
        }
        for (int g = 0; g < baseLrs.length; g++) {
            groups.get(g).setLr(lrAt(baseLrs[g], epoch));
        }
    }

    /** The lr at {@code epoch} for the initial lr {@code baseLr}. */
    protected abstract double lrAt(double baseLr, int epoch);

    /** Advances one epoch and sets the optimiser's lr. */
    public void step() {
        epoch++;
        apply();
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
        apply();
    }

    /** The first group's lr most recently set ({@code get_last_lr()[0]}). */
    public double lastLr() {
        return optimizer.lr();
    }
}
