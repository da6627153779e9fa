package dev.jacobi.regularizers.lipschitz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Sequential;
import org.junit.jupiter.api.Test;

class LipschitzNetworkTest {
    private static Sequential network(Rng rng) {
        Sequential net = new Sequential(new BcopConv2d(1, 4, 3, 1, rng), new MaxMin(), new BcopConv2d(4, 8, 4, 2, rng),
                new MaxMin(), new GroupSort(4), new Flatten(), new BjorckLinear(8 * 4 * 4, 10, rng));
        // move every parameter off its orthogonal initialisation, as training would
        for (var p : net.parameters()) {
            p.set(p.value().add(Tensor.randn(rng, p.dtype(), p.shape()).mul(0.1)));
        }
        return net;
    }

    @Test
    void bcopMaxMinNetworkIsOneLipschitzOnRandomPairs() {
        Rng rng = new Rng(51);
        Sequential net = network(rng);
        net.to(DType.FLOAT64);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 16, 1, 8, 8);
        double[] scales = {1e-3, 0.1, 1, 10};
        try (var ignored = Autodiff.noGrad()) {
            Tensor fx = net.forward(x).value();
            for (double s : scales) {
                Tensor y = x.add(Tensor.randn(rng, DType.FLOAT64, 16, 1, 8, 8).mul(s));
                Tensor num = net.forward(y).value().sub(fx).square().sum(1, false).sqrt();
                Tensor den = y.sub(x).reshape(16, -1).square().sum(1, false).sqrt();
                double worst = num.div(den).max().item();
                assertTrue(worst <= 1 + 1e-4, "ratio " + worst + " at scale " + s);
                assertTrue(worst > 0.05, "the network is degenerate: ratio " + worst);
            }
        }
    }

    @Test
    void jacobianPowerIterationStaysAtMostOne() {
        Rng rng = new Rng(52);
        Sequential net = network(rng);
        net.to(DType.FLOAT64);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 1, 1, 8, 8);
        Tensor v = Tensor.randn(rng, DType.FLOAT64, 1, 1, 8, 8);
        double sigma = 0;
        for (int it = 0; it < 30; it++) {
            v = v.div(v.norm(2).item());
            Tensor jv = Autodiff.jvp(net::forward, x, v);
            sigma = jv.norm(2).item();
            v = Autodiff.vjp(net::forward, x, jv);
        }
        assertTrue(sigma <= 1.0001, "Jacobian spectral norm estimate " + sigma);
        assertTrue(sigma > 0.5, "Jacobian spectral norm estimate " + sigma + " is implausibly small");
    }
}
