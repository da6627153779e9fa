package dev.jacobi.core;

/**
 * A mini-batch: inputs {@code x} (e.g. NCHW float32) and either one class label per example (classification) or a
 * tensor of real-valued targets whose first dim is the batch (regression, {@link #regression}). Data loaders produce
 * it and the trainer consumes it, so neither depends on the other. Asking a batch for what it does not have
 * ({@link #y()} of a regression batch, {@link #targets()} of a classification batch) throws.
 *
 * @param x       inputs, first dim = batch size
 * @param y       labels, one per example, or null for a regression batch
 * @param targets regression targets {@code [N, ...]}, or null for a classification batch
 */
public record Batch(Tensor x, int[] y, Tensor targets) {
    /** Checks that the batch has labels or targets, one per example. */
    public Batch {
        if ((y == null) == (targets == null)) {
            throw new IllegalArgumentException("Batch: give class labels or regression targets, exactly one of them");
        }
        int n = y != null ? y.length : targets.dim() == 0 ? -1 : targets.shape()[0];
        if (x.dim() == 0 || x.shape()[0] != n) {
            throw new IllegalArgumentException("Batch: " + (y != null ? y.length + " labels" : "targets of shape "
                    + Shapes.str(targets.shape())) + " for inputs of shape " + Shapes.str(x.shape()));
        }
    }

    /** A classification batch: inputs and one class label per example. */
    public Batch(Tensor x, int[] y) {
        this(x, y, null);
    }

    /** A regression batch: inputs and real-valued targets with the same first dim. */
    public static Batch regression(Tensor x, Tensor targets) {
        return new Batch(x, null, targets);
    }

    /** Whether this batch has regression targets rather than class labels. */
    public boolean isRegression() {
        return targets != null;
    }

    /** The number of examples. */
    public int size() {
        return x.shape()[0];
    }

    /** The class labels; throws for a regression batch. */
    @Override
    public int[] y() {
        if (y == null) {
            throw new IllegalStateException("a regression batch (targets " + Shapes.str(targets.shape()) + ") has no"
                    + " class labels: this needs a classification data set");
        }
        return y;
    }

    /** The regression targets; throws for a classification batch. */
    @Override
    public Tensor targets() {
        if (targets == null) {
            throw new IllegalStateException("a classification batch has no regression targets: use y()");
        }
        return targets;
    }
}
