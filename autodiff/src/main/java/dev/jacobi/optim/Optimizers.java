package dev.jacobi.optim;

import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Parameter;
import java.util.List;

/** Gradient utilities used around an optimiser step. */
public final class Optimizers {
    private Optimizers() {
    }

    /**
     * Scales all gradients by {@code min(1, maxNorm/(‖g‖ + 1e-6))}, {@code ‖g‖ = √Σ‖g_p‖²} over the parameters with
     * a gradient (PyTorch's {@code clip_grad_norm_}); returns the total norm before clipping.
     */
    public static double clipGradNorm(List<Parameter> params, double maxNorm) {
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be >= 0, got " + maxNorm);
        }
        double sq = 0;
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g != null) {
                sq += g.to(dev.jacobi.core.DType.FLOAT64).square().sum().item();
            }
        }
        double total = Math.sqrt(sq);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1) {
            for (Parameter p : params) {
                Tensor g = p.grad();
                if (g != null) {
                    p.setGrad(g.mul(coef));
                }
            }
        }
        return total;
    }
}
