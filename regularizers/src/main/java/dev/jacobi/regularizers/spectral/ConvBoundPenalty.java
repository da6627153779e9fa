package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Regularizer;

/**
 * Singla and Feizi's conv-bound penalty {@code Σ_{conv layers} √(kh·kw)·min(‖R‖₂, ‖S‖₂, ‖T‖₂, ‖U‖₂)} (a sum, not a
 * product), each term from {@link ConvSpectralNorm#fantasticFour(Var)} with persistent power-iteration vectors per
 * kernel; the gradient flows through each layer's smallest term. The trainer multiplies it by its weight
 * {@code β} (the authors: {@link #SINGLA_BETA} on CIFAR ResNets).
 */
public final class ConvBoundPenalty implements Regularizer {
    /** Singla and Feizi's weight {@code β ≈ 8e-4}. */
    public static final double SINGLA_BETA = 8e-4;

    private final LayerSigmas sigmas;

    /**
     * A penalty taking {@code steps} power steps of each of the four matrices per call.
     *
     * @param steps power steps per call, at least 0 (the authors: 1; 0 keeps the vectors fixed after the warm-up)
     * @param seed  seed of the start vectors
     */
    public ConvBoundPenalty(int steps, long seed) {
        this.sigmas = new LayerSigmas("ConvBoundPenalty", SpectralPenalty.Estimate.FANTASTIC_FOUR, steps, seed);
    }

    /** {@code Σ_conv √(kh·kw)·min(‖R‖, ‖S‖, ‖T‖, ‖U‖)} over the Conv2d layers of {@code model}. */
    @Override
    public Var penalty(Layer model, Batch batch, long step) {
        Var total = null;
        for (Layer layer : Layers.weighted(model).values()) {
            if (layer instanceof Conv2d) {
                Var b = sigmas.sigma(layer);
                total = total == null ? b : total.add(b);
            }
        }
        if (total == null) {
            throw new IllegalArgumentException("ConvBoundPenalty: model " + model.getClass().getSimpleName()
                    + " has no Conv2d layer");
        }
        return total;
    }

    @Override
    public String name() {
        return "conv-bound";
    }
}
