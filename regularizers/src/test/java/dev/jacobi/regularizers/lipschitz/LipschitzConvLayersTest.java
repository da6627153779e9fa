package dev.jacobi.regularizers.lipschitz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.nn.Sequential;
import dev.jacobi.regularizers.spectral.LipschitzBound;
import dev.jacobi.train.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The convolutional 1-Lipschitz layers of issue #28 (AOL, CPL, SLL, SOC, Cayley) and the dense Cayley layer: the
 * exact Jacobian norm of a network at random inputs, for weights far from the initial ones, stays within the product
 * of the layers' constants; the orthogonal ones (SOC, Cayley) keep every singular value at 1; order-2 gradient checks
 * of the forward passes and of the weight transforms; files round-trip.
 */
class LipschitzConvLayersTest {
    private static final List<Map.Entry<String, Function<Rng, Layer>>> LAYERS = List.of(
            Map.entry("aol", r -> new AolConv2d(2, 2, 3, r)),
            Map.entry("cpl", r -> new CplConv2d(2, 3, 3, r)),
            Map.entry("sll", r -> new SllConv2d(2, 3, 3, r)),
            Map.entry("soc", r -> new SocConv2d(2, 2, 3, r)),
            Map.entry("cayley", r -> new CayleyConv2d(2, 2, 3, r)));

    private static Tensor jacobian(Layer net, Tensor x) {
        int[] s = x.shape();
        int in = s[1] * s[2] * s[3];
        Tensor jac = Autodiff.jacobian(v -> net.forward(v.reshape(s)).reshape(-1), x.reshape(in));
        return jac;
    }

    private static void randomise(Layer net, Rng r, double scale) {
        for (Parameter p : net.parameters()) {
            p.set(Tensor.randn(r, DType.FLOAT64, p.shape()).mul(scale));
        }
    }

    @Test
    void everyLayerIsOneLipschitzForAnyWeights() {
        for (Map.Entry<String, Function<Rng, Layer>> e : LAYERS) {
            Rng r = new Rng(e.getKey().hashCode());
            for (double scale : new double[] {0.1, 1, 10}) {
                for (boolean training : new boolean[] {true, false}) {
                    Layer net = new Sequential(e.getValue().apply(r), new MaxMin(), e.getValue().apply(r));
                    net.to(DType.FLOAT64);
                    net.train(training);
                    randomise(net, r, scale);
                    double bound = LipschitzBound.of(net, new int[] {2, 5, 5}).product();
                    assertTrue(bound >= 1 && bound < 1 + 1e-3, e.getKey() + ": product of constants " + bound);
                    for (int trial = 0; trial < 3; trial++) {
                        Tensor x = Tensor.randn(r, DType.FLOAT64, 1, 2, 5, 5).mul(scale);
                        double norm = Linalg.spectralNorm(jacobian(net, x));
                        assertTrue(norm <= bound * (1 + 1e-9), e.getKey() + " scale " + scale + " training "
                                + training + ": Jacobian norm " + norm + " > " + bound);
                    }
                }
            }
        }
    }

    /**
     * On one channel with a single tap the residual layers are exactly at their bound where the ReLU is active
     * ({@code y' = 1 − 2 = −1}), so a step larger than theirs would not be 1-Lipschitz.
     */
    @Test
    void theResidualLayersReachTheirBoundOnASingleTap() {
        Rng r = new Rng(6);
        for (Layer l : List.of(new CplConv2d(1, 1, 1, r), new SllConv2d(1, 1, 1, r))) {
            l.to(DType.FLOAT64);
            for (Parameter p : l.parameters()) {
                p.set(Tensor.full(DType.FLOAT64, 0.7, p.shape()));
            }
            l.parameters().get(1).set(Tensor.full(DType.FLOAT64, 50, 1)); // the bias: every ReLU active
            double norm = Linalg.spectralNorm(jacobian(l, Tensor.randn(r, DType.FLOAT64, 1, 1, 4, 4)));
            assertEquals(1, norm, 1e-5, l.toString());
        }
    }

    @Test
    void orthogonalConvolutionsKeepEverySingularValueAtOne() {
        Rng r = new Rng(7);
        int[][] channels = {{3, 3}, {2, 4}, {4, 2}};
        for (int[] c : channels) {
            for (Layer layer : List.of(new SocConv2d(c[0], c[1], 3, r), new CayleyConv2d(c[0], c[1], 3, r))) {
                layer.to(DType.FLOAT64);
                layer.eval();
                randomise(layer, r, 1);
                Tensor s = Linalg.svdvals(jacobian(layer, Tensor.randn(r, DType.FLOAT64, 1, c[0], 5, 6)));
                // an isometry (cin <= cout) or a co-isometry (cin > cout): min(cin, cout)·H·W singular values of 1
                double[] sv = s.toDoubleArray();
                int ones = Math.min(c[0], c[1]) * 30;
                for (int i = 0; i < ones; i++) {
                    assertEquals(1, sv[i], 1e-9, layer + " singular value " + i);
                }
            }
        }
        // the dense Cayley layer: orthonormal columns (tall) or rows (wide)
        for (int[] s : new int[][] {{5, 3}, {3, 5}, {4, 4}}) {
            CayleyLinear l = new CayleyLinear(s[1], s[0], r);
            l.to(DType.FLOAT64);
            randomise(l, r, 1);
            Tensor q = l.orthogonalWeight().value();
            Tensor gram = s[0] >= s[1] ? q.t().matmul(q) : q.matmul(q.t());
            assertArrayEquals(Tensor.eye(DType.FLOAT64, Math.min(s[0], s[1])).toDoubleArray(), gram.toDoubleArray(),
                    1e-12, "CayleyLinear " + s[0] + "x" + s[1]);
        }
    }

    @Test
    void forwardPassesAndWeightTransformsPassOrderTwoChecks() {
        Rng r = new Rng(8);
        for (Map.Entry<String, Function<Rng, Layer>> e : LAYERS) {
            Layer l = e.getValue().apply(r);
            l.to(DType.FLOAT64);
            randomise(l, r, 1);
            GradCheck.check(e.getKey() + " input", v -> l.forward(v), Tensor.randn(r, DType.FLOAT64, 2, 2, 4, 4), 2,
                    1e-6);
        }
        CayleyLinear dense = new CayleyLinear(3, 4, r);
        dense.to(DType.FLOAT64);
        GradCheck.check("cayley linear input", v -> dense.forward(v), Tensor.randn(r, DType.FLOAT64, 2, 3), 2, 1e-6);
        GradCheck.check("aol conv rescale", AolConv2d::rescale, Tensor.randn(r, DType.FLOAT64, 3, 2, 3, 3), 2, 1e-6);
        GradCheck.check("soc skew", SocConv2d::skew, Tensor.randn(r, DType.FLOAT64, 2, 2, 3, 3), 2, 1e-6);
        GradCheck.check("sll scales", xs -> SllConv2d.scales(xs.get(0), xs.get(1)),
                List.of(Tensor.randn(r, DType.FLOAT64, 3, 2, 3, 3), Tensor.rand(r, DType.FLOAT64, 3).add(0.5)), 2,
                1e-6, 1);
        GradCheck.check("cayley tall", CayleyLinear::cayley, Tensor.randn(r, DType.FLOAT64, 5, 3), 2, 1e-6);
        GradCheck.check("cayley wide", CayleyLinear::cayley, Tensor.randn(r, DType.FLOAT64, 2, 3, 4), 2, 1e-6);
        GradCheck.check("cayley complex", xs -> {
            Var[] q = CayleyConv2d.cayleyComplex(xs.get(0), xs.get(1));
            return q[0].square().add(q[1]);
        }, List.of(Tensor.randn(r, DType.FLOAT64, 2, 4, 3), Tensor.randn(r, DType.FLOAT64, 2, 4, 3)), 2, 1e-6, 2);
    }

    @Test
    void misuseNamesTheLayerAndTheProblem() {
        Rng r = new Rng(9);
        assertThrows(IllegalArgumentException.class, () -> new AolConv2d(2, 2, 2, r));
        assertThrows(IllegalArgumentException.class, () -> new CplConv2d(2, 0, 3, r));
        assertThrows(IllegalArgumentException.class, () -> new SllConv2d(2, 2, 4, r));
        assertThrows(IllegalArgumentException.class, () -> new SocConv2d(1, 1, 1, r));
        assertThrows(IllegalArgumentException.class, () -> new CayleyLinear(0, 2, r));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SocConv2d(3, 3, 3, r).forward(Var.of(Tensor.zeros(1, 2, 5, 5))));
        assertTrue(e.getMessage().contains("SocConv2d") && e.getMessage().contains("[1, 2, 5, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new CayleyConv2d(2, 2, 5, r).forward(Var.of(Tensor.zeros(1, 2, 4, 4))));
        assertTrue(e.getMessage().contains("smaller than the kernel"), e.getMessage());
    }

    @Test
    void modelsOfTheNewLayersAreRebuiltFromTheirFiles(@TempDir Path dir) throws IOException {
        Rng r = new Rng(10);
        Sequential net = new Sequential(new AolConv2d(1, 4, 3, r), new MaxMin(), new SocConv2d(4, 4, 3, r),
                new CayleyConv2d(4, 4, 3, r), new CplConv2d(4, 6, 3, r), new SllConv2d(4, 6, 3, r), new Flatten(),
                new AolLinear(4 * 8 * 8, 16, r), new CayleyLinear(16, 10, r));
        net.eval();
        Path file = dir.resolve("lip.safetensors");
        ModelFiles.save(net, file, 1, 8, 8);
        Layer back = ModelFiles.loadModel(file);
        assertEquals(net.toString(), back.toString());
        Tensor x = Tensor.randn(r, 2, 1, 8, 8);
        assertArrayEquals(net.forward(x).value().toDoubleArray(), back.forward(x).value().toDoubleArray(), 0);
    }
}
