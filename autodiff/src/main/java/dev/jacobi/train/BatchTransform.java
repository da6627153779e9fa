package dev.jacobi.train;

import dev.jacobi.core.Batch;
import dev.jacobi.nn.Layer;

/**
 * A hook {@code batch' = T(model, batch, step)} applied to every training batch before the loss, e.g. to replace
 * the inputs by adversarial examples (PGD adversarial training) or to augment them.
 */
@FunctionalInterface
public interface BatchTransform {
    /**
     * The batch to train on.
     *
     * @param model the model being trained (in training mode)
     * @param batch the batch from the data loader
     * @param step the zero-based global optimizer step
     * @return the batch to compute the loss on (same number of examples or not)
     */
    Batch apply(Layer model, Batch batch, long step);
}
