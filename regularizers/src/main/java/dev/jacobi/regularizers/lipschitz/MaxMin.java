package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.spectral.LipschitzLayer;
import java.util.List;
import java.util.Map;

/**
 * MaxMin activation (Anil et al. 2019): the channels (dim 1) are split into halves {@code a, b} and
 * {@code y = [max(a, b), min(a, b)]}. 1-Lipschitz and gradient-norm preserving: its Jacobian is a permutation
 * (away from ties), so its adjoint routes each cotangent to the input that won.
 */
public final class MaxMin extends Layer implements LipschitzLayer {
    /** The activation as a layer. */
    public MaxMin() {
    }

    /** {@code [N, C, ...] → [N, C, ...]}: {@code y = [max(a, b), min(a, b)]} with {@code a, b} the channel halves. */
    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        if (s.length < 2 || s[1] % 2 != 0) {
            throw error("input " + Shapes.str(s) + " needs dims [N, C, ...] with an even channel count C");
        }
        int h = s[1] / 2;
        Var a = x.narrow(1, 0, h);
        Var b = x.narrow(1, h, h);
        return Var.cat(List.of(a.maximum(b), a.minimum(b)), 1);
    }

    /** 1: the output is a permutation of the input at every point. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of();
    }
}
