package dev.jacobi.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Batch;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Dataset;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.SGD;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class RegressionTest {
    @Test
    void aLinearModelLearnsARegressionSetWithTheDefaultSquaredError() throws IOException {
        Rng r = new Rng(1);
        int n = 256;
        float[] x = new float[n * 2];
        float[] t = new float[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = (float) r.nextGaussian();
            x[2 * i + 1] = (float) r.nextGaussian();
            t[i] = 2 * x[2 * i] - x[2 * i + 1] + 0.5f;
        }
        Dataset d = Dataset.regression(x, new int[] {2}, t, 1);
        assertTrue(d.isRegression());
        assertEquals("Dataset(n=256, sample=[2], targets=[1])", d.toString());
        assertThrows(IllegalStateException.class, d::numClasses);
        assertThrows(IllegalStateException.class, () -> d.balancedSubset(10, 1));
        Batch b = DataLoader.builder(d, 64).seed(1).build().epoch(0).iterator().next();
        assertArrayEquals(new int[] {64, 1}, b.targets().shape());
        IllegalStateException e = assertThrows(IllegalStateException.class, b::y);
        assertTrue(e.getMessage().contains("regression batch"), e.getMessage());
        Linear lin = new Linear(2, 1, new Rng(2));
        Sequential model = new Sequential(lin);
        Trainer trainer = Trainer.builder(model, new SGD(model.parameters(), 0.1)).build();
        DataLoader loader = DataLoader.builder(d, 64).seed(1).build();
        var epochs = trainer.fit(loader::epoch, 30);
        assertTrue(Double.isNaN(epochs.get(0).trainAccuracy()), "no accuracy for regression");
        Trainer.Evaluation ev = Trainer.evaluate(model, DataLoader.builder(d, 128).shuffle(false).build());
        assertTrue(ev.meanLoss() < 1e-4, "mean squared error " + ev.meanLoss());
        assertTrue(Double.isNaN(ev.accuracy()));
        assertArrayEquals(new double[] {2, -1}, lin.weight().value().toDoubleArray(), 1e-2);
        assertEquals(0.5, lin.bias().value().get(0), 1e-2);
    }

    @Test
    void aBatchHasLabelsOrTargetsAndSaysWhichIsMissing() {
        Tensor x = Tensor.zeros(3, 2);
        assertThrows(IllegalArgumentException.class, () -> new Batch(x, new int[3], Tensor.zeros(3, 1)));
        assertThrows(IllegalArgumentException.class, () -> Batch.regression(x, Tensor.zeros(2, 1)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Batch(x, new int[3]).targets());
        assertTrue(e.getMessage().contains("classification batch has no regression targets"), e.getMessage());
        assertEquals(3, Batch.regression(x, Tensor.zeros(3)).size());
    }
}
