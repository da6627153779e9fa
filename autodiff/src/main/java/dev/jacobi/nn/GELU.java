package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import java.util.Map;

/**
 * {@code y = x·Φ(x)} element-wise, {@code Φ} the standard normal CDF: PyTorch's default exact form (through
 * {@link Functional#erf}) or, with {@code approximate = "tanh"}, {@code x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))}.
 * Adjoint {@code g·(Φ(x) + x·φ(x))} (of the form used).
 */
public final class GELU extends Layer {
    private final boolean tanh;

    /** PyTorch's default, {@code approximate = "none"}: the erf form. */
    public GELU() {
        this("none");
    }

    /** {@code approximate} is {@code "none"} (erf form) or {@code "tanh"}, as in PyTorch. */
    public GELU(String approximate) {
        if (!approximate.equals("none") && !approximate.equals("tanh")) {
            throw new IllegalArgumentException("GELU: approximate must be 'none' or 'tanh', got '" + approximate + "'");
        }
        this.tanh = approximate.equals("tanh");
    }

    /** {@code x·Φ(x)} in the chosen form. */
    @Override
    public Var forward(Var x) {
        return tanh ? x.gelu() : Functional.gelu(x);
    }

    @Override
    protected String extraRepr() {
        return "approximate='" + (tanh ? "tanh" : "none") + "'";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("approximate", tanh ? "tanh" : "none");
    }
}
