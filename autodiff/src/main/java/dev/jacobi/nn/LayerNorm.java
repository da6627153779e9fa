package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * Layer normalisation over the last dims, as PyTorch's {@code nn.LayerNorm}: {@code y = (x − E[x]) / √(Var[x] + ε)
 * · γ + β}, with the mean and the biased variance taken over the trailing {@code normalizedShape} of each example,
 * and {@code γ = 1}, {@code β = 0} of that shape at first (when {@code elementwiseAffine}). The same in training and
 * evaluation; the formula is {@link Functional#layerNorm}.
 */
public final class LayerNorm extends Layer {
    private final int[] normalizedShape;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer normalising the trailing {@code normalizedShape}, with {@code eps} and optional γ, β. */
    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine) {
        if (normalizedShape.length == 0 || Arrays.stream(normalizedShape).anyMatch(d -> d <= 0) || !(eps > 0)) {
            throw new IllegalArgumentException("LayerNorm: normalized_shape must be non-empty and positive and eps > 0,"
                    + " got " + Shapes.str(normalizedShape) + ", eps=" + eps);
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine ? registerParameter("weight", Tensor.ones(normalizedShape)) : null;
        this.bias = elementwiseAffine ? registerParameter("bias", Tensor.zeros(normalizedShape)) : null;
    }

    /** PyTorch's defaults: {@code eps = 1e-5}, with γ and β. */
    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5, true);
    }

    /** γ, of the normalised shape, or null. */
    public Parameter weight() {
        return weight;
    }

    /** β, of the normalised shape, or null. */
    public Parameter bias() {
        return bias;
    }

    @Override
    public Var forward(Var x) {
        checkDtype(x);
        try {
            return Functional.layerNorm(x, normalizedShape, weight == null ? null : weight.var(),
                    bias == null ? null : bias.var(), eps);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    @Override
    protected String extraRepr() {
        return "normalized_shape=" + Shapes.str(normalizedShape) + ", eps=" + eps + ", elementwise_affine="
                + (weight != null);
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("normalized_shape", normalizedShape.clone(), "eps", eps, "elementwise_affine", weight != null);
    }
}
