package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import java.util.Map;

/** {@code y = 1/(1 + e^-x)}, element-wise; adjoint {@code g·y(1 - y)}. */
public final class Sigmoid extends Layer {
    /** The activation as a layer. */
    public Sigmoid() {
    }

    /** {@code y = 1/(1 + e^-x)}, element-wise; adjoint {@code g·y(1 - y)}. */
    @Override
    public Var forward(Var x) {
        return x.sigmoid();
    }

    @Override
    public Map<String, Object> config() {
        return Map.of();
    }
}
