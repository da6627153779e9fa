package dev.jacobi.regularizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Sequential;
import dev.jacobi.regularizers.lipschitz.BcopConv2d;
import dev.jacobi.regularizers.lipschitz.BjorckLinear;
import dev.jacobi.regularizers.lipschitz.Certify;
import dev.jacobi.regularizers.lipschitz.MaxMin;
import dev.jacobi.regularizers.spectral.LipschitzBound;
import org.junit.jupiter.api.Test;

/** LipschitzBound over the 1-Lipschitz layers, and certification with L taken from it. */
class LipschitzIntegrationTest {
    @Test
    void boundOfAnOrthogonalNetworkIsOneAndCertifyUsesIt() {
        Rng rng = new Rng(3);
        Sequential net = new Sequential(new BcopConv2d(1, 4, 3, 1, rng), new MaxMin(), new Flatten(),
                new BjorckLinear(4 * 6 * 6, 10, rng));
        LipschitzBound b = LipschitzBound.of(net, new int[] {1, 6, 6});
        assertEquals(4, b.rows().size());
        assertEquals(1.0, b.product(), 1e-12);
        assertArrayEquals(new int[] {10}, b.rows().get(3).outShape());
        Tensor x = Tensor.rand(rng, 5, 1, 6, 6);
        Tensor logits = net.forward(x).value();
        int[] y = {0, 1, 2, 3, 4};
        assertTrue(Certify.certifiedRadius(net, new int[] {1, 6, 6}, logits, y)
                .allClose(Certify.certifiedRadius(logits, y, 1.0), 0, 0));
        // a plain layer in the same network multiplies the bound by its spectral norm
        Linear head = new Linear(10, 3, rng);
        Sequential more = new Sequential(net, head);
        double sigma = dev.jacobi.core.linalg.Linalg.spectralNorm(head.weight().value());
        assertEquals(sigma, LipschitzBound.of(more, new int[] {1, 6, 6}).product(), 1e-4 * sigma);
    }
}
