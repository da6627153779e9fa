package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.Map;

/**
 * Inverted dropout: in training {@code y = x·m/(1-p)} with {@code m ~ Bernoulli(1-p)} per element, so
 * {@code E[y] = x}; in eval mode the identity.
 */
public final class Dropout extends Layer {
    private final double p;
    private final Rng rng;

    /** Drops each element with probability {@code p} in [0, 1], drawing masks from {@code rng}. */
    public Dropout(double p, Rng rng) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1], got " + p);
        }
        this.p = p;
        this.rng = rng;
    }

    /** The generator the masks are drawn from (its state goes into checkpoints). */
    public Rng rng() {
        return rng;
    }

    /** The drop probability. */
    public double p() {
        return p;
    }

    /** {@code x·m/(1-p)} in training (zeros if p = 1), {@code x} in eval. */
    @Override
    public Var forward(Var x) {
        if (!isTraining() || p == 0) {
            return x;
        }
        if (p == 1) {
            return x.mul(Tensor.zeros(x.dtype(), x.shape()));
        }
        Tensor keep = Tensor.rand(rng, x.dtype(), x.shape()).lt(1 - p);
        return x.mul(keep.mul(1 / (1 - p)));
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("p", p);
    }
}
