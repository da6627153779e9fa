package dev.jacobi.regularizers.lipschitz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Sequential;
import dev.jacobi.regularizers.spectral.LipschitzBound;
import org.junit.jupiter.api.Test;

class AolLinearTest {
    @Test
    void theRescaledWeightHasSpectralNormAtMostOneForAnyWeight() {
        Rng r = new Rng(1);
        int[][] shapes = {{4, 4}, {8, 3}, {3, 8}, {16, 16}, {1, 5}, {5, 1}, {32, 10}, {10, 32}, {7, 7}, {50, 20}};
        for (int[] s : shapes) {
            for (double scale : new double[] {0.01, 100}) {
                Tensor p = Tensor.randn(r, DType.FLOAT64, s).mul(scale);
                double norm = Linalg.spectralNorm(AolLinear.rescale(Var.of(p)).value());
                assertTrue(norm <= 1 + 1e-12, s[0] + "x" + s[1] + " scale " + scale + ": " + norm);
            }
        }
        Tensor zeroColumn = Tensor.of(new double[] {1, 0, 2, 0}, 2, 2);
        assertTrue(Linalg.spectralNorm(AolLinear.rescale(Var.of(zeroColumn)).value()) <= 1 + 1e-12);
    }

    @Test
    void anOrthogonalWeightIsLeftAsItIs() {
        AolLinear l = new AolLinear(6, 9, new Rng(2));
        l.to(DType.FLOAT64);
        // orthogonal to float32 precision (the initialisation is float32), so the rescaling is 1 to that precision
        assertArrayEquals(l.weight().value().toDoubleArray(), l.rescaledWeight().value().toDoubleArray(), 1e-6);
    }

    @Test
    void aNetworkOfAolLayersIsOneLipschitzAndPassesOrderTwoChecks() {
        Rng r = new Rng(3);
        Sequential net = new Sequential(new AolLinear(5, 8, r), new MaxMin(), new AolLinear(8, 8, r), new MaxMin(),
                new AolLinear(8, 3, r));
        net.to(DType.FLOAT64);
        for (dev.jacobi.nn.Parameter p : net.parameters()) {
            p.set(p.value().add(Tensor.randn(r, DType.FLOAT64, p.shape()))); // far from orthogonal
        }
        double bound = LipschitzBound.of(net, new int[] {5}).product();
        assertTrue(bound == 1, "product of the layer constants " + bound);
        for (int trial = 0; trial < 5; trial++) {
            Tensor x = Tensor.randn(r, DType.FLOAT64, 5);
            Tensor jac = Autodiff.jacobian(v -> net.forward(v.reshape(1, 5)).reshape(3), x);
            double norm = Linalg.spectralNorm(jac);
            assertTrue(norm <= bound + 1e-12, "Jacobian norm " + norm + " at a random input");
        }
        GradCheck.check("aol input", v -> net.forward(v), Tensor.randn(r, DType.FLOAT64, 2, 5), 2, 1e-6);
        GradCheck.check("aol weight", p -> AolLinear.rescale(p).square(), Tensor.randn(r, DType.FLOAT64, 4, 3), 2,
                1e-6);
    }
}
