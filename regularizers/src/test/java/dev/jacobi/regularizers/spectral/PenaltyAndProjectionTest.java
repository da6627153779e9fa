package dev.jacobi.regularizers.spectral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Regularizer;
import dev.jacobi.nn.Sequential;
import java.util.List;
import org.junit.jupiter.api.Test;

class PenaltyAndProjectionTest {
    static Sequential model(long seed) {
        Rng rng = new Rng(seed);
        Sequential m = new Sequential(new Conv2d(2, 3, 3, 2, 1, rng), new ReLU(), new Flatten(), new Linear(27, 4, rng));
        m.to(DType.FLOAT64);
        return m;
    }

    static Batch batch() {
        return new Batch(Tensor.randn(new Rng(9), DType.FLOAT64, 2, 2, 5, 5), new int[] {0, 3});
    }

    /** The penalty's backward gradient against central differences along a random direction per parameter. */
    static void checkGradient(String name, Regularizer reg) {
        Layer m = model(21);
        Batch b = batch();
        reg.penalty(m, b, 0); // warm-up; with 0 steps the vectors stay fixed afterwards
        m.zeroGrad();
        reg.penalty(m, b, 1).backward();
        Rng rng = new Rng(22);
        for (Parameter p : m.parameters()) {
            Tensor w = p.value();
            Tensor g = p.grad() == null ? Tensor.zerosLike(w) : p.grad();
            Tensor t = Tensor.randn(rng, DType.FLOAT64, w.shape());
            double h = 1e-6;
            p.set(w.add(t.mul(h)));
            double plus = reg.penalty(m, b, 2).item();
            p.set(w.sub(t.mul(h)));
            double minus = reg.penalty(m, b, 3).item();
            p.set(w);
            double numeric = (plus - minus) / (2 * h);
            double analytic = g.mul(t).sum().item();
            assertEquals(numeric, analytic, 1e-6 * Math.max(1, Math.abs(numeric)), name);
        }
    }

    @Test
    void penaltyGradientsMatchFiniteDifferences() {
        for (SpectralPenalty.Estimate e : SpectralPenalty.Estimate.values()) {
            checkGradient("SpectralPenalty " + e, new SpectralPenalty(e, 0, 5));
        }
        checkGradient("ConvBoundPenalty", new ConvBoundPenalty(0, 5));
    }

    @Test
    void penaltyValuesAreTheDocumentedSums() {
        Sequential m = model(23);
        Tensor k = ((Conv2d) m.get(0)).weight().value();
        Tensor w = ((Linear) m.get(3)).weight().value();
        double lin = Linalg.spectralNorm(w);
        double reshaped = Linalg.spectralNorm(k.reshape(3, -1));
        assertEquals(reshaped * reshaped + lin * lin,
                new SpectralPenalty(SpectralPenalty.Estimate.RESHAPED, 500, 1).penalty(m, batch(), 0).item(), 1e-6);
        double op = Linalg.spectralNorm(SpectralNormTest.denseConv(k, Conv2dSpec.of(2, 1), 5, 5));
        assertEquals(op * op + lin * lin,
                new SpectralPenalty(SpectralPenalty.Estimate.OPERATOR, 2000, 1).penalty(m, batch(), 0).item(), 1e-5);
        assertEquals(ConvSpectralNorm.fantasticFour(k).bound(),
                new ConvBoundPenalty(500, 1).penalty(m, batch(), 0).item(), 1e-6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ConvBoundPenalty(1, 1).penalty(new Sequential(new Linear(2, 2, new Rng(1))), batch(), 0));
        assertTrue(e.getMessage().contains("ConvBoundPenalty") && e.getMessage().contains("no Conv2d"));
    }

    @Test
    void bietti_clipBoundsEveryReshapedSigmaWithTheDecayingRadius() {
        Sequential m = model(24);
        for (Parameter p : m.parameters()) {
            p.set(p.value().mul(5)); // make every sigma large
        }
        SpectralProjection proj = SpectralProjection.clipReshaped(0.5, 2);
        assertEquals(2.5, proj.radius(0), 1e-12);
        assertEquals(0.5 * (1 + 4 * Math.exp(-1.5)), proj.radius(3), 1e-12);
        proj.apply(m, 3);
        for (Layer layer : List.of(m.get(0), m.get(3))) {
            Tensor w = Layers.weight(layer).value();
            Tensor s = Linalg.svdvals(w.reshape(w.shape()[0], -1));
            assertEquals(proj.radius(3), s.max().item(), 1e-9, layer.toString());
        }
        Tensor before = ((Linear) m.get(3)).weight().value();
        SpectralProjection.clipReshaped(1e6, 2).apply(m, 0);
        assertSame(before, ((Linear) m.get(3)).weight().value(), "inside the ball: untouched");
    }

    @Test
    void gouk_operatorProjectionBoundsTheTrueOperatorNorm() {
        Sequential m = model(25);
        SpectralProjection proj = SpectralProjection.operatorNorm(0.3, new int[] {2, 5, 5}, 500, 7);
        Tensor before = ((Conv2d) m.get(0)).weight().value();
        proj.apply(m, 0);
        Tensor k = ((Conv2d) m.get(0)).weight().value();
        assertNotSame(before, k);
        double op = Linalg.spectralNorm(SpectralNormTest.denseConv(k, Conv2dSpec.of(2, 1), 5, 5));
        assertEquals(0.3, op, 1e-4);
        assertEquals(0.3, Linalg.spectralNorm(((Linear) m.get(3)).weight().value()), 1e-4);
    }

    @Test
    void gouk_l1AndLinfProjectionsBoundTheInducedNorms() {
        Sequential m = model(26);
        SpectralProjection.l1(0.2).apply(m, 0);
        Tensor w = ((Linear) m.get(3)).weight().value();
        assertEquals(0.2, w.abs().sum(0, false).max().item(), 1e-12); // max column sum = ‖W‖₁
        // ‖W‖₁ is the largest ‖Wx‖₁ over ‖x‖₁ = 1: attained at a basis vector, never exceeded by random ones
        Rng rng = new Rng(27);
        for (int i = 0; i < 20; i++) {
            Tensor x = Tensor.randn(rng, DType.FLOAT64, 27);
            assertTrue(w.matmul(x).abs().sum().item() <= 0.2 * x.abs().sum().item() + 1e-12);
        }
        SpectralProjection.lInf(0.1).apply(m, 0);
        Tensor k = ((Conv2d) m.get(0)).weight().value();
        assertEquals(0.1, k.abs().sum(new int[] {1, 2, 3}, false).max().item(), 1e-12);
        w = ((Linear) m.get(3)).weight().value();
        for (int i = 0; i < 20; i++) {
            Tensor x = Tensor.randn(rng, DType.FLOAT64, 27);
            assertTrue(w.matmul(x).abs().max().item() <= 0.1 * x.abs().max().item() + 1e-12);
        }
    }

    @Test
    void spectralNormalizationDividesBySigmaAndFreezesInEval() {
        Rng rng = new Rng(28);
        Conv2d conv = new Conv2d(2, 3, 3, 1, 1, rng);
        conv.to(DType.FLOAT64);
        SpectralNormalization sn = new SpectralNormalization(conv, SpectralNormalization.Mode.OPERATOR, 3);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 1, 2, 6, 6);
        for (int i = 0; i < 300; i++) {
            sn.forward(x);
        }
        Tensor k = conv.weight().value();
        double op = Linalg.spectralNorm(SpectralNormTest.denseConv(k, Conv2dSpec.of(1, 1), 6, 6));
        assertEquals(op, sn.sigma(), 1e-4 * op);
        Tensor y = sn.forward(x).value();
        Tensor expected = x.conv2d(k.div(sn.sigma()), conv.bias().value(), Conv2dSpec.of(1, 1));
        assertTrue(y.allClose(expected, 1e-9, 1e-9));
        sn.eval();
        double frozen = sn.sigma();
        sn.forward(x.mul(3));
        conv.weight().set(k.mul(2));
        sn.forward(x);
        assertEquals(2 * frozen, sn.sigma(), 1e-9, "eval: the vectors do not move");
        assertTrue(sn.stateDict().containsKey("module.weight"));

        Linear lin = new Linear(5, 4, rng);
        SpectralNormalization reshaped = new SpectralNormalization(lin, SpectralNormalization.Mode.RESHAPED, 4);
        for (int i = 0; i < 200; i++) {
            reshaped.forward(Tensor.randn(rng, 3, 5));
        }
        assertEquals(Linalg.spectralNorm(lin.weight().value()), reshaped.sigma(), 1e-4);
        assertThrows(IllegalArgumentException.class, () -> reshaped.forward(Tensor.zeros(3, 4)));
    }
}
