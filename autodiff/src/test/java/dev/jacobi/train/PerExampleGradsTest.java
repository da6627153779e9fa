package dev.jacobi.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Losses;
import dev.jacobi.nn.Parameter;
import dev.jacobi.nn.Sequential;
import dev.jacobi.nn.Tanh;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PerExampleGradsTest {
    @Test
    void theirMeanIsTheBatchGradientAndEachIsItsExamplesOwn() {
        Rng r = new Rng(1);
        Sequential net = new Sequential(new Linear(3, 4, r), new Tanh(), new Linear(4, 2, r));
        net.to(DType.FLOAT64);
        Tensor x = Tensor.randn(r, DType.FLOAT64, 5, 3);
        int[] y = {0, 1, 1, 0, 1};
        Map<String, Tensor> per = PerExampleGrads.compute(net, Losses::crossEntropy, x, y);
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(per.keySet()));
        assertArrayEquals(new int[] {5, 4, 3}, per.get("0.weight").shape());
        for (Parameter p : net.parameters()) {
            assertNull(p.grad(), "accumulated gradients are left alone");
        }
        Losses.crossEntropy(net.forward(x), y).backward(); // the mean over the batch
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
            assertArrayEquals(e.getValue().grad().toDoubleArray(), per.get(e.getKey()).mean(new int[] {0}, false)
                    .toDoubleArray(), 1e-12, e.getKey());
        }
        net.zeroGrad();
        Losses.crossEntropy(net.forward(x.narrow(0, 3, 1)), new int[] {y[3]}).backward();
        assertArrayEquals(net.parameters().get(2).grad().toDoubleArray(),
                per.get("2.weight").select(0, 3).toDoubleArray(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> PerExampleGrads.compute(net, Losses::crossEntropy, x,
                new int[] {0}));
    }
}
