package dev.jacobi.optim;

import dev.jacobi.nn.Parameter;
import java.util.List;

/**
 * Adam with decoupled weight decay (PyTorch's AdamW): {@code θ ← θ(1 - lr·λ)}, then the {@link Adam} step on the
 * raw gradient.
 */
public final class AdamW extends Adam {
    /** PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Parameter> params) {
        this(params, 1e-3, 0.9, 0.999, 1e-8, 0.01);
    }

    /** AdamW with every hyper-parameter. */
    public AdamW(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr, beta1, beta2, eps, weightDecay, true);
    }
}
