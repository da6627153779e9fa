package dev.jacobi.core;

/**
 * A mini-batch: inputs {@code x} (e.g. NCHW float32) and one class label per example. Data loaders produce it and
 * the trainer consumes it, so neither depends on the other.
 *
 * @param x inputs, first dim = batch size
 * @param y labels, one per example
 */
public record Batch(Tensor x, int[] y) {
    /** Checks that there is one label per example. */
    public Batch {
        if (x.dim() == 0 || x.shape()[0] != y.length) {
            throw new IllegalArgumentException("Batch: " + y.length + " labels for inputs of shape "
                    + Shapes.str(x.shape()));
        }
    }
}
