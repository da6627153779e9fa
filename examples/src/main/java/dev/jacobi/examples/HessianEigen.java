package dev.jacobi.examples;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Losses;
import java.util.function.Function;

/**
 * Hessian-vector products and the top eigenvalue of a loss's Hessian with respect to the weights of a softmax
 * classifier, by power iteration on HVPs (each costs about two gradients), checked against the full Hessian's
 * eigenvalues.
 */
public final class HessianEigen {
    private HessianEigen() {
    }

    /** {@code --tiny}: 20 features instead of 40. */
    public static void main(String[] args) {
        int d = Examples.tiny(args) ? 20 : 40;
        Rng rng = new Rng(3);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 64, d);
        int[] y = new int[64];
        for (int i = 0; i < y.length; i++) {
            y[i] = x.get(i, 0) + x.get(i, 1) > 0 ? 1 : x.get(i, 2) > 0 ? 2 : 0;
        }
        Function<Var, Var> loss = w -> Losses.crossEntropy(Var.of(x).matmul(w.reshape(d, 3)), y);
        Tensor w = Tensor.randn(rng, DType.FLOAT64, d * 3).mul(0.1);
        Tensor v = Tensor.randn(rng, DType.FLOAT64, d * 3);
        double lambda = 0;
        int steps = 0;
        for (double previous = -1; steps < 5000 && Math.abs(lambda - previous) > 1e-13 * Math.abs(lambda); steps++) {
            previous = lambda;
            v = v.div(v.norm(2).item());
            Tensor hv = Autodiff.hvp(loss, w, v);
            lambda = v.mul(hv).sum().item(); // the Rayleigh quotient vᵀHv
            v = hv;
        }
        Tensor eig = Linalg.eigh(Autodiff.hessian(loss, w)).values();
        double top = Double.NEGATIVE_INFINITY;
        for (double e : eig.toDoubleArray()) {
            top = Math.max(top, Math.abs(e));
        }
        System.out.printf("top Hessian eigenvalue: %.10f by power iteration (%d HVPs), %.10f from the full %dx%d"
                + " Hessian%n", lambda, steps, top, d * 3, d * 3);
    }
}
