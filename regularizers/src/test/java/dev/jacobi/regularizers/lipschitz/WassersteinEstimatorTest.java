package dev.jacobi.regularizers.lipschitz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class WassersteinEstimatorTest {
    private static Sequential critic(Supplier<Layer> activation, Rng rng) {
        return new Sequential(new BjorckLinear(1, 16, rng), activation.get(), new BjorckLinear(16, 16, rng),
                activation.get(), new BjorckLinear(16, 1, rng));
    }

    @Test
    void absToyMaxMinReachesOneAndReluFallsShort() {
        // P = δ₀, Q = uniform{±1}: W1 = 1, attained by f = −|x|
        Tensor p = Tensor.zeros(DType.FLOAT32, 32, 1);
        double[] signs = new double[32];
        for (int i = 0; i < 32; i++) {
            signs[i] = i % 2 == 0 ? 1 : -1;
        }
        Tensor q = Tensor.of(signs, 32, 1).to(DType.FLOAT32);
        WassersteinEstimator.Estimate maxMin = new WassersteinEstimator(critic(MaxMin::new, new Rng(31)), 300, 0.01)
                .fit(p, q);
        WassersteinEstimator.Estimate relu = new WassersteinEstimator(critic(ReLU::new, new Rng(31)), 300, 0.01)
                .fit(p, q);
        assertTrue(maxMin.distance() >= 0.98, "MaxMin estimate " + maxMin);
        assertTrue(maxMin.distance() <= 1 + 1e-4, "a 1-Lipschitz critic cannot exceed W1: " + maxMin);
        assertTrue(maxMin.lipschitzCheckPassed(1e-4), maxMin.toString());
        assertTrue(relu.distance() < 0.9, "ReLU estimate " + relu);
        assertTrue(relu.lipschitzCheckPassed(1e-4), relu.toString());
        assertTrue(maxMin.history()[299] > maxMin.history()[0]);
    }

    @Test
    void badSamplesAreNamed() {
        WassersteinEstimator est = new WassersteinEstimator(critic(MaxMin::new, new Rng(1)), 1, 0.01);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> est.fit(Tensor.zeros(4, 1), Tensor.zeros(4, 2)));
        assertTrue(e.getMessage().contains("[4, 1]") && e.getMessage().contains("[4, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WassersteinEstimator(critic(MaxMin::new, new Rng(1)),
                10, 0));
        assertEquals(0, new WassersteinEstimator(critic(MaxMin::new, new Rng(1)), 0, 0.1)
                .fit(Tensor.zeros(2, 1), Tensor.zeros(3, 1)).distance(), 1e-6);
    }
}
