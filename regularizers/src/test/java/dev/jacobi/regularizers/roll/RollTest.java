package dev.jacobi.regularizers.roll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Normalize;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.nn.Tanh;
import dev.jacobi.regularizers.Nets;
import dev.jacobi.regularizers.attacks.Attacks;
import dev.jacobi.regularizers.attacks.Robustness;
import java.util.List;
import org.junit.jupiter.api.Test;

class RollTest {
    private static Layer mlp(long seed) {
        Rng r = new Rng(seed);
        return new Sequential(new Flatten(), new Linear(12, 10, r), new ReLU(), new Sequential(new Linear(10, 8, r),
                new ReLU()), new Linear(8, 3, r)).to(DType.FLOAT64);
    }

    private static Layer cnn(long seed) {
        Rng r = new Rng(seed);
        return new Sequential(new Normalize(new double[] {0.5}, new double[] {0.25}),
                new Conv2d(1, 3, 3, Conv2dSpec.of(1, 1), true, r), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(12, 5, r), new ReLU(), new Linear(5, 3, r)).to(DType.FLOAT64);
    }

    @Test
    void gramAndPerturbationAgreeOnDeeperNets() {
        // four hidden layers: the Gram matrix is carried through two middle layers, only the last one's diagonal is
        // formed directly
        Rng r = new Rng(5);
        Layer m = new Sequential(new Flatten(), new Linear(12, 9, r), new ReLU(), new Linear(9, 8, r), new ReLU(),
                new Linear(8, 7, r), new ReLU(), new Linear(7, 6, r), new ReLU(), new Linear(6, 3, r))
                .to(DType.FLOAT64);
        Tensor x = Tensor.rand(new Rng(6), DType.FLOAT64, 4, 3, 4);
        Tensor gram = Roll.gradNormsSquared(m, x, Roll.Method.GRAM);
        assertArrayEquals(new int[] {4, 30}, gram.shape());
        assertTrue(gram.allClose(Roll.gradNormsSquared(m, x, Roll.Method.PERTURBATION), 0, 1e-10), gram.toString());
        Var pg = new Roll(0.5, Roll.Method.GRAM).penalty(m, x);
        Var pp = new Roll(0.5, Roll.Method.PERTURBATION).penalty(m, x);
        List<Var> params = m.parameters().stream().map(p -> p.var()).toList();
        List<Var> gg = Autodiff.grad(pg, params, null, false);
        List<Var> gp = Autodiff.grad(pp, params, null, false);
        for (int i = 0; i < gg.size(); i++) {
            assertTrue(gg.get(i).value().allClose(gp.get(i).value(), 0, 1e-10), "parameter " + i);
        }
    }

    @Test
    void gramAndPerturbationAgree() {
        Layer m = mlp(1);
        Tensor x = Tensor.rand(new Rng(2), DType.FLOAT64, 5, 3, 4);
        Tensor gram = Roll.gradNormsSquared(m, x, Roll.Method.GRAM);
        Tensor pert = Roll.gradNormsSquared(m, x, Roll.Method.PERTURBATION);
        assertArrayEquals(new int[] {5, 18}, gram.shape());
        assertTrue(gram.allClose(pert, 0, 1e-10), gram + " vs " + pert);
        // independent oracle: the first layer's neurons have gradient W1[j], whatever the mask
        Tensor w1 = ((Linear) Roll.layers(m).get(1)).weight().value();
        assertTrue(gram.narrow(1, 0, 10).allClose(w1.square().sum(1, false).reshape(1, 10).expand(5, 10), 0, 1e-12));
        Var pg = new Roll(0.5, Roll.Method.GRAM).penalty(m, x);
        Var pp = new Roll(0.5, Roll.Method.PERTURBATION).penalty(m, x);
        assertEquals(pg.item(), pp.item(), 1e-10);
        List<Var> params = m.parameters().stream().map(p -> p.var()).toList();
        List<Var> gg = Autodiff.grad(pg, params, null, false);
        List<Var> gp = Autodiff.grad(pp, params, null, false);
        for (int i = 0; i < gg.size(); i++) {
            assertTrue(gg.get(i).value().allClose(gp.get(i).value(), 0, 1e-10), "parameter " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> Roll.gradNormsSquared(cnn(1), Tensor.zeros(DType.FLOAT64,
                1, 1, 4, 4), Roll.Method.GRAM));
    }

    @Test
    void patternHoldsJustInsideTheMarginAndFlipsJustOutside() {
        for (Layer m : new Layer[] {mlp(3), cnn(4)}) {
            Tensor x = m instanceof Sequential s && s.get(0) instanceof Normalize
                    ? Tensor.rand(new Rng(5), DType.FLOAT64, 4, 1, 4, 4) : Tensor.rand(new Rng(5), DType.FLOAT64, 4, 3, 4);
            for (double p : new double[] {2, Double.POSITIVE_INFINITY, 1}) {
                Roll.Region[] regions = Roll.regions(m, x, p);
                for (int i = 0; i < regions.length; i++) {
                    Tensor xi = x.narrow(0, i, 1);
                    Roll.Region r = regions[i];
                    assertTrue(r.margin() > 0 && r.margin() < Double.POSITIVE_INFINITY);
                    assertEquals(1, r.direction().norm(p).item(), 1e-12);
                    int[] base = Roll.activationPattern(m, xi);
                    Tensor dir = r.direction().unsqueeze(0);
                    assertArrayEquals(base, Roll.activationPattern(m, xi.add(dir.mul(0.999 * r.margin()))),
                            "pattern changed inside the margin, p=" + p + ", example " + i);
                    assertFalse(java.util.Arrays.equals(base, Roll.activationPattern(m, xi.add(dir.mul(1.001
                            * r.margin())))), "pattern did not flip outside the margin, p=" + p + ", example " + i);
                }
            }
        }
    }

    @Test
    void marginsAreInRawInputUnits() {
        Rng r = new Rng(6);
        Linear l1 = new Linear(4, 6, r);
        Linear l2 = new Linear(6, 2, r);
        Layer raw = new Sequential(l1, new ReLU(), l2).to(DType.FLOAT64);
        Layer normalized = new Sequential(new Normalize(new double[] {0, 0, 0, 0}, new double[] {0.5, 0.5, 0.5, 0.5}),
                raw);
        Tensor x = Tensor.rand(new Rng(7), DType.FLOAT64, 3, 4);
        Tensor m1 = Roll.margins(raw, x.mul(2), 2);
        Tensor m2 = Roll.margins(normalized, x, 2);
        assertTrue(m2.allClose(m1.mul(0.5), 1e-12, 0), m1 + " vs " + m2);
        assertThrows(IllegalArgumentException.class, () -> Roll.margins(new Sequential(new Linear(4, 2, r), new Tanh()),
                x.to(DType.FLOAT32), 2));
    }

    @Test
    void robustnessReportOnALinearModel() {
        Rng r = new Rng(8);
        Linear lin = new Linear(5, 3, r);
        Layer m = new Sequential(lin, new ReLU(), new Linear(3, 3, r));
        Layer linear = new Sequential(new Linear(5, 3, new Rng(9)));
        Tensor x = Tensor.rand(new Rng(10), 16, 5);
        int[] y = Nets.labels(new Rng(11), 16, 3);
        Robustness.Report rep = Robustness.evaluate(m, x, y, Attacks.Pgd.l2(0.5, 10), new double[] {0, 0.5, 2}, 30);
        assertEquals(rep.cleanAccuracy(), rep.pgdAccuracy()[0]);
        assertTrue(rep.pgdAccuracy()[2] <= rep.pgdAccuracy()[0]);
        assertTrue(rep.marginPercentiles()[0] <= rep.marginPercentiles()[2]);
        assertTrue(rep.toString().contains("PGD accuracy at eps=0.5"), rep.toString());
        double sigma = Linalg.spectralNorm(((Linear) ((Sequential) linear).get(0)).weight().value().to(DType.FLOAT64));
        assertEquals(sigma, Robustness.jacobianNorm(linear, x, 50), 1e-4 * sigma);
        Robustness.Report lr = Robustness.evaluate(linear, x, y, Attacks.Pgd.l2(0.5, 5), new double[] {0.5}, 5);
        assertTrue(lr.maxLogitGradNorm() <= Math.sqrt(2) * lr.maxJacobianNorm() * (1 + 1e-4));
        assertTrue(lr.hessianTop()[2] >= lr.hessianTop()[1] && lr.hessianTop()[1] >= 0);
        assertEquals(null, rep.marginsNotApplicable());
        // a smooth network has no linear regions: the report says so instead of leaving the margins out silently
        Layer smooth = new Sequential(new Linear(5, 3, new Rng(12)), new Tanh(), new Linear(3, 3, new Rng(13)));
        assertTrue(Roll.notPiecewiseLinear(smooth).contains("Tanh"), Roll.notPiecewiseLinear(smooth));
        Robustness.Report sr = Robustness.evaluate(smooth, x, y, Attacks.Pgd.l2(0.5, 3), new double[] {0.5}, 3);
        assertEquals(null, sr.marginPercentiles());
        assertTrue(sr.toString().contains("ROLL l2 margin                     n/a: Roll: Tanh is not a supported"),
                sr.toString());
    }
}
