package dev.jacobi.regularizers.lipschitz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.nn.Sequential;
import dev.jacobi.regularizers.spectral.LipschitzBound;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** CPL and SLL: 1-Lipschitz for any weights, by the Jacobian norm at random inputs; order-2 gradient checks. */
class ResidualLipschitzLayersTest {
    private static void checkOneLipschitz(String name, Function<Rng, Layer> make) {
        Rng r = new Rng(name.hashCode());
        for (double scale : new double[] {0.1, 1, 10}) {
            Layer net = new Sequential(make.apply(r), new MaxMin(), make.apply(r));
            net.to(DType.FLOAT64);
            for (Parameter p : net.parameters()) {
                p.set(Tensor.randn(r, DType.FLOAT64, p.shape()).mul(scale)); // any weights, not the initial ones
            }
            assertEquals(1, LipschitzBound.of(net, new int[] {6}).product(), 0, name);
            for (int trial = 0; trial < 6; trial++) {
                Tensor x = Tensor.randn(r, DType.FLOAT64, 6).mul(scale);
                Tensor jac = Autodiff.jacobian(v -> net.forward(v.reshape(1, 6)).reshape(6), x);
                double norm = Linalg.spectralNorm(jac);
                assertTrue(norm <= 1 + 1e-9, name + " scale " + scale + ": Jacobian norm " + norm);
            }
            GradCheck.check(name, v -> net.forward(v), Tensor.randn(r, DType.FLOAT64, 2, 6), 2, 1e-6);
        }
    }

    @Test
    void cplIsOneLipschitzForAnyWeights() {
        checkOneLipschitz("cpl", r -> new CplLinear(6, 10, r));
    }

    @Test
    void sllIsOneLipschitzForAnyWeights() {
        checkOneLipschitz("sll", r -> new SllLinear(6, 10, r));
    }
}
