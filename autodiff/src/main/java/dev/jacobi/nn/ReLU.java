package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import java.util.Map;

/** {@code y = max(x, 0)}, element-wise; adjoint {@code g·[x > 0]}. */
public final class ReLU extends Layer {
    /** The activation as a layer. */
    public ReLU() {
    }

    /** {@code y = max(x, 0)}, element-wise; adjoint {@code g·[x > 0]}. */
    @Override
    public Var forward(Var x) {
        return x.relu();
    }

    @Override
    public Map<String, Object> config() {
        return Map.of();
    }
}
