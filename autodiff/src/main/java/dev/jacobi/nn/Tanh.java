package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import java.util.Map;

/** {@code y = tanh x}, element-wise; adjoint {@code g·(1 - y²)}. */
public final class Tanh extends Layer {
    /** The activation as a layer. */
    public Tanh() {
    }

    /** {@code y = tanh x}, element-wise; adjoint {@code g·(1 - y²)}. */
    @Override
    public Var forward(Var x) {
        return x.tanh();
    }

    @Override
    public Map<String, Object> config() {
        return Map.of();
    }
}
