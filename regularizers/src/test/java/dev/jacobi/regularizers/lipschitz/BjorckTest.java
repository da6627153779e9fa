package dev.jacobi.regularizers.lipschitz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Init;
import org.junit.jupiter.api.Test;

class BjorckTest {
    /** The polar factor {@code U Vᵀ} of {@code a} from an SVD: the matrix Björck must converge to. */
    private static Tensor polar(Tensor a) {
        Linalg.Svd s = Linalg.svd(a);
        return s.u().matmul(s.vt());
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item();
    }

    @Test
    void convergesToThePolarFactorForEveryOrderAndOrientation() {
        Rng rng = new Rng(3);
        int[][] shapes = {{12, 12}, {20, 7}, {6, 15}};
        for (int[] shape : shapes) {
            // orthogonal initialisation perturbed, as after some training steps
            Tensor w = Init.orthogonal(rng, shape, 1).to(DType.FLOAT64)
                    .add(Tensor.randn(rng, DType.FLOAT64, shape).mul(0.15));
            Tensor target = polar(w);
            for (int order = 1; order <= 4; order++) {
                Tensor o = Bjorck.orthonormalize(Var.of(w), Bjorck.DEFAULT_ITERATIONS, order).value();
                assertTrue(maxAbsDiff(o, target) < 1e-10, "order " + order + " shape " + shape[0] + "x" + shape[1]
                        + ": off the polar factor by " + maxAbsDiff(o, target));
                boolean tall = shape[0] >= shape[1];
                Tensor gram = tall ? o.t().matmul(o) : o.matmul(o.t());
                assertTrue(maxAbsDiff(gram, Tensor.eye(DType.FLOAT64, Math.min(shape[0], shape[1]))) < 1e-10);
            }
        }
    }

    @Test
    void float32ReachesSinglePrecisionAndAWellConditionedGaussianConverges() {
        Rng rng = new Rng(4);
        Tensor w = Tensor.randn(rng, DType.FLOAT32, 10, 10).add(Tensor.eye(DType.FLOAT32, 10).mul(3));
        Tensor o = Bjorck.orthonormalize(Var.of(w), 30, 1).value();
        assertTrue(o.dtype() == DType.FLOAT32);
        assertTrue(maxAbsDiff(o.t().matmul(o), Tensor.eye(DType.FLOAT32, 10)) < 1e-5);
        assertTrue(maxAbsDiff(o.to(DType.FLOAT64), polar(w.to(DType.FLOAT64))) < 1e-5);
    }

    @Test
    void tooFewIterationsAreVisiblyNotOrthonormal() {
        Tensor w = Tensor.randn(new Rng(5), DType.FLOAT64, 8, 8);
        Tensor one = Bjorck.orthonormalize(Var.of(w), 1, 1).value();
        assertTrue(maxAbsDiff(one.t().matmul(one), Tensor.eye(DType.FLOAT64, 8)) > 1e-2);
    }

    @Test
    void batchedMatricesAreOrthonormalisedIndependently() {
        Rng rng = new Rng(6);
        Tensor a = Tensor.randn(rng, DType.FLOAT64, 5, 3).add(Tensor.ones(DType.FLOAT64, 5, 3).mul(0.1));
        Tensor b = Tensor.randn(rng, DType.FLOAT64, 5, 3).mul(7);
        Tensor both = Bjorck.orthonormalize(Var.of(Tensor.stack(java.util.List.of(a, b), 0)), 25, 2).value();
        assertTrue(maxAbsDiff(both.select(0, 0), polar(a)) < 1e-9);
        assertTrue(maxAbsDiff(both.select(0, 1), polar(b)) < 1e-9);
        assertArrayEquals(new int[] {2, 5, 3}, both.shape());
    }

    @Test
    void gradCheckOfEveryOrderToSecondDerivatives() {
        Rng rng = new Rng(7);
        Tensor w = Init.orthogonal(rng, new int[] {4, 3}, 1).to(DType.FLOAT64)
                .add(Tensor.randn(rng, DType.FLOAT64, 4, 3).mul(0.2));
        Tensor c = Tensor.randn(rng, DType.FLOAT64, 4, 3);
        for (int order = 1; order <= 4; order++) {
            int ord = order;
            // a nonlinear scalar of the output so the second derivative is not trivially zero
            GradCheck.check("bjorck order " + ord, x -> Bjorck.orthonormalize(x, 25, ord).mul(Var.of(c)).sum().square(),
                    w, 2, 1e-6);
            GradCheck.check("bjorck wide order " + ord, x -> Bjorck.orthonormalize(x, 25, ord), w.t(), 1, 1e-6);
        }
    }

    @Test
    void badArgumentsAreNamed() {
        Var w = Var.of(Tensor.ones(DType.FLOAT64, 3, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bjorck.orthonormalize(w, 20, 5));
        assertTrue(e.getMessage().contains("Bjorck.orthonormalize") && e.getMessage().contains("order 5"));
        assertThrows(IllegalArgumentException.class, () -> Bjorck.orthonormalize(Var.of(Tensor.ones(3)), 20, 1));
    }
}
