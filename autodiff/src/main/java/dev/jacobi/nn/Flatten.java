package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import java.util.Map;

/** Merges dims 1..last: {@code [N, d1, ..., dk] → [N, d1·...·dk]}; its adjoint is the reshape back. */
public final class Flatten extends Layer {
    /** PyTorch's default {@code Flatten(start_dim=1, end_dim=-1)}. */
    public Flatten() {
    }

    /** {@code x.flatten(1, -1)}. */
    @Override
    public Var forward(Var x) {
        if (x.dim() < 2) {
            throw error("input " + Shapes.str(x.shape()) + " has fewer than 2 dims");
        }
        return x.flatten(1, -1);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=1, end_dim=-1";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of();
    }
}
