package dev.jacobi.regularizers.spectral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.AvgPool2d;
import dev.jacobi.nn.BatchNorm2d;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.GELU;
import dev.jacobi.nn.LeakyReLU;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Normalize;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.nn.Sigmoid;
import dev.jacobi.nn.Tanh;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class LipschitzBoundTest {
    /** {@code max_x ‖J(x)‖₂} over a few random inputs, each by power iteration on {@code JᵀJ} through jvp/vjp. */
    static double empiricalLipschitz(Layer model, int[] input, int inputs, int steps, long seed) {
        int[] batched = new int[input.length + 1];
        batched[0] = 1;
        System.arraycopy(input, 0, batched, 1, input.length);
        Function<Var, Var> f = model::forward;
        Rng rng = new Rng(seed);
        double best = 0;
        for (int n = 0; n < inputs; n++) {
            Tensor x = Tensor.randn(rng, DType.FLOAT64, batched);
            Tensor v = Tensor.randn(rng, DType.FLOAT64, batched);
            double s = 0;
            for (int i = 0; i < steps; i++) {
                v = v.div(v.norm(2).item());
                Tensor jv = Autodiff.jvp(f, x, v);
                s = jv.norm(2).item();
                v = Autodiff.vjp(f, x, jv);
            }
            best = Math.max(best, s);
        }
        return best;
    }

    @Test
    void productBoundsTheEmpiricalLipschitzConstantOfACnn() {
        Rng rng = new Rng(31);
        BatchNorm2d bn = new BatchNorm2d(6);
        Sequential model = new Sequential(new Normalize(new double[] {0.1}, new double[] {0.5}),
                new Conv2d(1, 4, 3, 1, 1, rng), new ReLU(), new MaxPool2d(3, 2, 1),
                new Sequential(new Conv2d(4, 6, 3, Conv2dSpec.of(1, 1).withDilation(1), true, rng), bn, new Tanh()),
                new AvgPool2d(2), new Flatten(), new Linear(24, 10, rng), new GELU(), new LeakyReLU(0.2),
                new Linear(10, 3, rng), new Sigmoid());
        model.to(DType.FLOAT64);
        bn.forward(Tensor.randn(rng, DType.FLOAT64, 4, 6, 4, 4).mul(3)); // non-trivial running statistics
        model.eval();
        LipschitzBound lb = LipschitzBound.of(model, new int[] {1, 8, 8});
        assertEquals(14, lb.rows().size());
        assertEquals("4.1", lb.rows().get(5).layer());
        assertEquals(2.0, lb.rows().get(0).bound(), 1e-12, "Normalize: 1/std");
        assertEquals(2.0, lb.rows().get(3).bound(), 1e-12, "3x3 stride-2 max pool: ceil(3/2)");
        assertEquals(0.5, lb.rows().get(7).bound(), 1e-12, "2x2 average pool: 1/2");
        double bnExpected = bn.weight().value().abs().div(bn.runningVar().add(1e-5).sqrt()).max().item();
        assertEquals(bnExpected, lb.rows().get(5).bound(), 1e-12);
        for (LipschitzBound.Row r : lb.rows()) {
            if (r.type().equals("Conv2d")) {
                assertTrue(r.operator() <= r.exactCircular() + 1e-9 && r.exactCircular() <= r.fourBound() + 1e-9, r.toString());
                // the Gram bound is an upper bound of the exact circular norm, within 1e-3 after its 6 steps
                assertTrue(r.gram() >= r.exactCircular() * (1 - 1e-12) && r.gram() <= r.exactCircular() * (1 + 1e-3),
                        r.toString());
                assertEquals(Math.min(r.fourBound(), r.exactCircular()), r.bound(), 0);
            }
        }
        double product = 1;
        for (LipschitzBound.Row r : lb.rows()) {
            product *= r.bound();
        }
        assertEquals(product, lb.product(), 1e-12 * product);
        double empirical = empiricalLipschitz(model, new int[] {1, 8, 8}, 4, 20, 32);
        assertTrue(empirical > 0 && lb.product() >= empirical, lb + " vs empirical " + empirical);
        assertTrue(lb.toString().contains("product bound") && lb.toString().contains("Conv2d"));
    }

    @Test
    void boundIsTightForASingleLinearOrCircularConvLayer() {
        Rng rng = new Rng(33);
        Linear lin = new Linear(7, 5, rng);
        lin.to(DType.FLOAT64);
        LipschitzBound a = LipschitzBound.of(lin, new int[] {7});
        assertEquals(Linalg.spectralNorm(lin.weight().value()), a.product(), 1e-12);
        assertEquals(a.product(), empiricalLipschitz(lin, new int[] {7}, 1, 200, 34), 1e-6 * a.product());

        Conv2d conv = new Conv2d(2, 3, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, PaddingMode.CIRCULAR), false, rng);
        conv.to(DType.FLOAT64);
        LipschitzBound c = LipschitzBound.of(conv, new int[] {2, 6, 6});
        assertEquals(ConvSpectralNorm.exactCircular(conv.weight().value(), 6, 6), c.product(), 1e-12);
        assertEquals(c.product(), c.rows().get(0).operator(), 1e-3 * c.product());
    }

    @Test
    void geluConstantBoundsBothGeluDerivatives() {
        Tensor x = Tensor.arange(DType.FLOAT64, -6, 6, 1e-3);
        for (GELU g : new GELU[] {new GELU(), new GELU("tanh")}) {
            double max = Autodiff.grad(v -> g.forward(v).sum(), x).abs().max().item();
            assertTrue(max <= LipschitzBound.GELU && max > LipschitzBound.GELU - 1e-3, "max GELU' " + max);
        }
    }

    @Test
    void unsupportedLayersAndShapesAreNamed() {
        Layer custom = new Layer() {
            @Override
            public Var forward(Var x) {
                return x;
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LipschitzBound.of(new Sequential(new ReLU(), custom), new int[] {3}));
        assertTrue(e.getMessage().contains("LipschitzBound") && e.getMessage().contains("'1'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LipschitzBound.of(new Linear(4, 2, new Rng(1)), new int[] {5}));
        assertTrue(e.getMessage().contains("[5]"), e.getMessage());
    }
}
