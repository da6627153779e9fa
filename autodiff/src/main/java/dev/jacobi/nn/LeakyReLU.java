package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import java.util.Map;

/** {@code y = x} where {@code x > 0}, else {@code slope·x}, element-wise; adjoint {@code g·(x > 0 ? 1 : slope)}. */
public final class LeakyReLU extends Layer {
    private final double slope;

    /** PyTorch's default negative slope 0.01. */
    public LeakyReLU() {
        this(0.01);
    }

    /** A leaky ReLU with the given negative slope. */
    public LeakyReLU(double slope) {
        this.slope = slope;
    }

    /** {@code x > 0 ? x : slope·x}. */
    @Override
    public Var forward(Var x) {
        return x.leakyRelu(slope);
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + slope;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("negative_slope", slope);
    }
}
