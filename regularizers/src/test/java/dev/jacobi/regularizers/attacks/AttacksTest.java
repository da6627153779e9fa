package dev.jacobi.regularizers.attacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Losses;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.SGD;
import dev.jacobi.regularizers.Nets;
import dev.jacobi.regularizers.inputspace.InputGrads;
import org.junit.jupiter.api.Test;

class AttacksTest {
    private static Layer mlp(long seed) {
        Rng r = new Rng(seed);
        return new Sequential(new Linear(6, 16, r), new ReLU(), new Linear(16, 3, r));
    }

    private static double loss(Layer m, Tensor x, int[] y) {
        return Losses.crossEntropy(m.forward(Var.of(x)), y).item();
    }

    @Test
    void pgdStaysInBallAndRangeAndRaisesTheLoss() {
        Layer m = mlp(1);
        Rng r = new Rng(2);
        Tensor x = Tensor.rand(r, 32, 6);
        int[] y = Nets.labels(r, 32, 3);
        for (Attacks.Norm norm : Attacks.Norm.values()) {
            double eps = norm == Attacks.Norm.L2 ? 0.5 : 0.1;
            Attacks.Pgd cfg = new Attacks.Pgd(norm, eps, eps / 4, 10, true, 0, 1, 5);
            Tensor adv = Attacks.pgd(m, x, y, cfg);
            Tensor d = adv.sub(x);
            double p = norm == Attacks.Norm.L2 ? 2 : Double.POSITIVE_INFINITY;
            assertTrue(InputGrads.rowNorms(d, p).max().item() <= eps * (1 + 1e-5), norm + " left the ball");
            assertTrue(adv.min().item() >= 0 && adv.max().item() <= 1, norm + " left the data range");
            assertTrue(loss(m, adv, y) > loss(m, x, y) + 1e-3, norm + " did not raise the loss");
            assertArrayEquals(adv.toFloatArray(), Attacks.pgd(m, x, y, cfg).toFloatArray(), "not deterministic");
        }
        Tensor f = Attacks.fgsm(m, x, y, 0.05, 0, 1);
        assertTrue(f.sub(x).abs().max().item() <= 0.05 + 1e-6);
        assertTrue(loss(m, f, y) > loss(m, x, y));
    }

    @Test
    void badInputsAreNamed() {
        Layer m = mlp(1);
        Tensor x = Tensor.full(2.0, 4, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Attacks.pgd(m, x, new int[4], Attacks.Pgd.linf(0.1, 3)));
        assertTrue(e.getMessage().startsWith("pgd: inputs span"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Attacks.Pgd(Attacks.Norm.L2, -1, 1, 1, true, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Attacks.pgd(m, Tensor.rand(new Rng(1), 4, 6), new int[3],
                Attacks.Pgd.l2(0.1, 2)));
    }

    @Test
    void adversarialTrainingTransformsAndTrains() {
        Rng r = new Rng(3);
        int n = 64;
        double[] xs = new double[n * 6];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            for (int k = 0; k < 6; k++) {
                xs[i * 6 + k] = Math.min(1, Math.max(0, 0.5 + (k % 3 == y[i] ? 0.4 : -0.2) + 0.05 * r.nextGaussian()));
            }
        }
        Tensor x = Tensor.of(xs, n, 6).to(dev.jacobi.core.DType.FLOAT32);
        Layer m = mlp(4);
        AdversarialTraining adv = AdversarialTraining.pgdLinf(0.1, 5);
        Batch b = adv.transform(m, new Batch(x, y), 0);
        assertTrue(b.x().sub(x).abs().max().item() <= 0.1 + 1e-6);
        assertTrue(m.isTraining(), "mode restored");
        double before = loss(m, b.x(), y);
        SGD opt = new SGD(m.parameters(), 0.5);
        for (int step = 0; step < 150; step++) {
            Batch ab = adv.transform(m, new Batch(x, y), step);
            opt.zeroGrad();
            Losses.crossEntropy(m.forward(Var.of(ab.x())), y).backward();
            opt.step();
        }
        Tensor attacked = Attacks.pgd(m.eval(), x, y, Attacks.Pgd.linf(0.1, 10));
        assertTrue(loss(m, attacked, y) < 0.5 * before, "robust loss did not drop: " + before + " -> "
                + loss(m, attacked, y));
        assertEquals(1.0, Attacks.accuracy(m, attacked, y), 0.1);
    }
}
