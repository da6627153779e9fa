package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Regularizer;

/**
 * The spectral-norm penalty {@code Σ_l σ(W_l)²} over the Linear and Conv2d layers of a model (Bietti et al. 2019,
 * Yoshida and Miyato 2017), an upper-bound regularizer of the RKHS norm. The trainer multiplies it by its weight
 * {@code λ} (Bietti: {@link #BIETTI_LAMBDA} with 2 power steps per training step; Yoshida–Miyato: {@code λ/2}, 1
 * step). Each {@code σ} is {@code uᵀWv} from persistent power-iteration vectors (per parameter) that are constants
 * for backprop, so {@code ∂penalty/∂W = 2σ·∂σ/∂W}.
 *
 * <p>For a conv kernel the {@link Estimate} picks {@code σ}: Miyato's reshaped-matrix heuristic, the true operator
 * norm of the convolution at the layer's input size (found by tracing the model's shapes from the batch), or the
 * four-bound estimate of Singla and Feizi. Linear layers always use their matrix norm.
 */
public final class SpectralPenalty implements Regularizer {
    /** Bietti et al.'s weight of this penalty. */
    public static final double BIETTI_LAMBDA = 0.01;

    /** What {@code σ(W)} means for a convolution kernel. */
    public enum Estimate {
        /** Miyato's heuristic: the kernel reshaped to {@code [cout, cin·kh·kw]}; not the conv operator norm. */
        RESHAPED,
        /** The true operator norm of the convolution at the layer's input size (power iteration on the operator). */
        OPERATOR,
        /** Singla–Feizi: {@code √(kh·kw)·min(‖R‖, ‖S‖, ‖T‖, ‖U‖)}, an upper bound of the operator norm. */
        FANTASTIC_FOUR
    }

    private final Estimate estimate;
    private final LayerSigmas sigmas;

    /**
     * A penalty with the given estimate.
     *
     * @param estimate what {@code σ} means for conv kernels
     * @param steps    power steps per call (Bietti: 2)
     * @param seed     seed of the start vectors
     */
    public SpectralPenalty(Estimate estimate, int steps, long seed) {
        this.estimate = estimate;
        this.sigmas = new LayerSigmas("SpectralPenalty", estimate, steps, seed);
    }

    /** {@code Σ_l σ(W_l)²} over every Linear and Conv2d layer of {@code model}. */
    @Override
    public Var penalty(Layer model, Batch batch, long step) {
        sigmas.traceOnce(model, LayerSigmas.perExample("SpectralPenalty", batch.x().shape()));
        Var total = null;
        for (Layer layer : Layers.weighted(model).values()) {
            Var s2 = sigmas.sigma(layer).square();
            total = total == null ? s2 : total.add(s2);
        }
        if (total == null) {
            throw new IllegalArgumentException("SpectralPenalty: model " + model.getClass().getSimpleName()
                    + " has no Linear or Conv2d layer");
        }
        return total;
    }

    @Override
    public String name() {
        return "spectral-" + estimate.name().toLowerCase(java.util.Locale.ROOT);
    }
}
