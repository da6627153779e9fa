package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;

/** {@code y = log(1 + e^x)} (beta 1), element-wise and stable; adjoint {@code g·σ(x)}. */
public final class Softplus extends Layer {
    /** The activation as a layer. */
    public Softplus() {
    }

    /** {@code y = log(1 + e^x)} (beta 1), element-wise and stable; adjoint {@code g·σ(x)}. */
    @Override
    public Var forward(Var x) {
        return x.softplus();
    }
}
