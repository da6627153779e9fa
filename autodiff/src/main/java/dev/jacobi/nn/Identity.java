package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import java.util.Map;

/** {@code y = x}; its own adjoint. */
public final class Identity extends Layer {
    /** The identity layer. */
    public Identity() {
    }

    /** Returns {@code x}. */
    @Override
    public Var forward(Var x) {
        return x;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of();
    }
}
