package dev.jacobi.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class LayersTest {
    /** A layer that keeps the Var of its parameter in a field, the mistake {@link Parameter#set} now catches. */
    private static final class CachingScale extends Layer {
        private final Var w = registerParameter("w", Tensor.ones(3)).var();

        @Override
        public Var forward(Var x) {
            return x.mul(w);
        }
    }

    @Test
    void aParameterVarKeptAcrossAnOptimizerStepFailsLoudly() {
        CachingScale layer = new CachingScale();
        dev.jacobi.optim.SGD opt = new dev.jacobi.optim.SGD(layer.parameters(), 0.1);
        Tensor x = Tensor.ones(2, 3);
        layer.forward(x).sum().backward();
        opt.step();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.forward(x));
        assertTrue(e.getMessage().contains("read Parameter.var() at every forward"), e.getMessage());
        // the right way, reading the holder at every forward, sees the update
        Parameter p = layer.parameters().get(0);
        assertEquals(1 - 0.1 * 2, Var.of(x).mul(p.var()).value().get(0, 0), 1e-6); // dL/dw = 2 (two rows)
    }
    static Tensor randn(Rng r, int... shape) {
        return Tensor.randn(r, DType.FLOAT64, shape);
    }

    static void close(double[] expected, Tensor actual, double tol) {
        assertArrayEquals(expected, actual.toDoubleArray(), tol);
    }

    @Test
    void linearForwardAndGradientsMatchTheFormula() {
        Rng r = new Rng(1);
        Linear lin = new Linear(3, 2, true, r);
        lin.to(DType.FLOAT64);
        double[][] w = {{1, -2, 0.5}, {0.25, 3, -1}};
        double[] b = {0.1, -0.2};
        lin.weight().set(Tensor.of(new double[] {1, -2, 0.5, 0.25, 3, -1}, 2, 3));
        lin.bias().set(Tensor.of(b, 2));
        Tensor x = randn(r, 4, 3);
        Tensor c = randn(r, 4, 2);
        Var xv = Var.param(x);
        Var y = lin.forward(xv);
        y.mul(Var.of(c)).sum().backward();
        double[] xs = x.toDoubleArray();
        double[] cs = c.toDoubleArray();
        double[] ey = new double[8];
        double[] dw = new double[6];
        double[] db = new double[2];
        double[] dx = new double[12];
        for (int n = 0; n < 4; n++) {
            for (int o = 0; o < 2; o++) {
                ey[n * 2 + o] = b[o];
                db[o] += cs[n * 2 + o];
                for (int i = 0; i < 3; i++) {
                    ey[n * 2 + o] += xs[n * 3 + i] * w[o][i];
                    dw[o * 3 + i] += cs[n * 2 + o] * xs[n * 3 + i];
                    dx[n * 3 + i] += cs[n * 2 + o] * w[o][i];
                }
            }
        }
        close(ey, y.value(), 1e-12);
        close(dw, lin.weight().grad(), 1e-12);
        close(db, lin.bias().grad(), 1e-12);
        close(dx, xv.grad(), 1e-12);
    }

    @Test
    void linearInitIsPyTorchsUniformAndErrorsNameTheLayer() {
        Linear lin = new Linear(100, 400, true, new Rng(2));
        double bound = 0.1;
        double[] w = lin.weight().value().toDoubleArray();
        double max = 0;
        double sq = 0;
        for (double v : w) {
            max = Math.max(max, Math.abs(v));
            sq += v * v;
        }
        assertTrue(max <= bound && max > 0.99 * bound, "max |w| " + max);
        assertEquals(bound * bound / 3, sq / w.length, 0.03 * bound * bound / 3); // Var U(-b, b) = b²/3
        for (double v : lin.bias().value().toDoubleArray()) {
            assertTrue(Math.abs(v) <= bound);
        }
        assertEquals(DType.FLOAT32, lin.weight().dtype());
        assertArrayEquals(new int[] {400, 100}, lin.weight().shape());
        assertEquals("Linear(in_features=100, out_features=400, bias=true)", lin.toString());
        Linear l2 = new Linear(784, 10, new Rng(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> l2.forward(Tensor.zeros(32, 100)));
        assertEquals("Linear(784 -> 10): input [32, 100] does not end in 784", e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> l2.forward(Tensor.zeros(DType.FLOAT64, 2, 784)))
                .getMessage().contains("input dtype FLOAT64 differs"));
        assertEquals(List.of("weight"), List.copyOf(new Linear(2, 3, false, new Rng(4)).stateDict().keySet()));
    }

    @Test
    void flattenMergesTrailingDims() {
        Tensor x = randn(new Rng(5), 2, 3, 4);
        Var y = new Flatten().forward(x);
        assertArrayEquals(new int[] {2, 12}, y.shape());
        assertArrayEquals(x.toDoubleArray(), y.value().toDoubleArray());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Flatten().forward(Tensor.zeros(5)))
                .getMessage().startsWith("Flatten(start_dim=1, end_dim=-1): input [5]"));
    }

    @Test
    void dropoutKeepsTheMeanInTrainingAndIsTheIdentityInEval() {
        double p = 0.3;
        Dropout d = new Dropout(p, new Rng(6));
        int n = 100_000;
        Var x = Var.param(Tensor.ones(n));
        Var y = d.forward(x);
        double[] v = y.value().toDoubleArray();
        int zeros = 0;
        double sum = 0;
        for (double e : v) {
            if (e == 0) {
                zeros++;
            } else {
                assertEquals(1 / (1 - p), e, 1e-6);
            }
            sum += e;
        }
        double sd = Math.sqrt(p * (1 - p) / n);
        assertEquals(p, (double) zeros / n, 5 * sd);
        assertEquals(1, sum / n, 5 * sd / (1 - p));
        y.sum().backward();
        assertArrayEquals(v, x.grad().toDoubleArray(), 0); // dy/dx = mask/(1-p) = y for x = 1
        // a second draw differs
        assertFalse(java.util.Arrays.equals(v, d.forward(x).value().toDoubleArray()));
        d.eval();
        Tensor z = randn(new Rng(7), 4, 5);
        assertArrayEquals(z.toDoubleArray(), d.forward(z).value().toDoubleArray());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5, new Rng(1)));
        assertEquals(0, new Dropout(1, new Rng(1)).forward(z).value().abs().sum().item());
    }

    /** Batch norm by loops over an [N, C, L] array: batch statistics, output and running updates. */
    private static void checkBatchNorm(BatchNorm bn, Tensor x, int n, int c, int l, double[] gamma, double[] beta) {
        double[] rm = bn.runningMean().toDoubleArray();
        double[] rv = bn.runningVar().toDoubleArray();
        long tracked = bn.numBatchesTracked();
        Var y = bn.forward(x);
        double[] xs = x.toDoubleArray();
        double[] expected = new double[xs.length];
        for (int ch = 0; ch < c; ch++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < l; k++) {
                    mean += xs[(i * c + ch) * l + k];
                }
            }
            int m = n * l;
            mean /= m;
            double ss = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < l; k++) {
                    ss += Math.pow(xs[(i * c + ch) * l + k] - mean, 2);
                }
            }
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < l; k++) {
                    int at = (i * c + ch) * l + k;
                    expected[at] = (xs[at] - mean) / Math.sqrt(ss / m + 1e-5) * gamma[ch] + beta[ch];
                }
            }
            rm[ch] = 0.9 * rm[ch] + 0.1 * mean;
            rv[ch] = 0.9 * rv[ch] + 0.1 * ss / (m - 1);
        }
        close(expected, y.value(), 1e-10);
        close(rm, bn.runningMean(), 1e-12);
        close(rv, bn.runningVar(), 1e-12);
        assertEquals(tracked + 1, bn.numBatchesTracked());
    }

    @Test
    void batchNormMatchesTheFormulaInTrainingAndUsesRunningStatsInEval() {
        Rng r = new Rng(8);
        BatchNorm1d bn = new BatchNorm1d(3);
        bn.to(DType.FLOAT64);
        double[] gamma = {1.5, -0.5, 2};
        double[] beta = {0.1, 0.2, -0.3};
        bn.weight().set(Tensor.of(gamma, 3));
        bn.bias().set(Tensor.of(beta, 3));
        checkBatchNorm(bn, randn(r, 8, 3).mul(2).add(1), 8, 3, 1, gamma, beta);
        checkBatchNorm(bn, randn(r, 5, 3, 4), 5, 3, 4, gamma, beta);
        // eval: (x - running_mean)/√(running_var + eps)·γ + β
        bn.eval();
        Tensor x = randn(r, 2, 3);
        double[] rm = bn.runningMean().toDoubleArray();
        double[] rv = bn.runningVar().toDoubleArray();
        double[] xs = x.toDoubleArray();
        double[] expected = new double[6];
        for (int i = 0; i < 6; i++) {
            int ch = i % 3;
            expected[i] = (xs[i] - rm[ch]) / Math.sqrt(rv[ch] + 1e-5) * gamma[ch] + beta[ch];
        }
        close(expected, bn.forward(x).value(), 1e-12);
        assertArrayEquals(rm, bn.runningMean().toDoubleArray(), 0, "eval does not update running stats");
        assertEquals(2, bn.numBatchesTracked());

        BatchNorm2d bn2 = new BatchNorm2d(2);
        bn2.to(DType.FLOAT64);
        checkBatchNorm(bn2, randn(r, 3, 2, 2, 3), 3, 2, 6, new double[] {1, 1}, new double[] {0, 0});
        assertEquals("BatchNorm2d(2, eps=1.0E-5, momentum=0.1, affine=true, track_running_stats=true)", bn2.toString());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bn2.forward(Tensor.zeros(DType.FLOAT64, 3, 4, 2, 2)))
                .getMessage().contains("input [3, 4, 2, 2] is not [N, C, H, W] with C = 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3).forward(Tensor.zeros(1, 3)))
                .getMessage().contains("expected more than 1 value per channel when training, got input [1, 3]"));
    }

    @Test
    void batchNormTrainingGradientPassesGradCheck() {
        Rng r = new Rng(9);
        BatchNorm1d bn = new BatchNorm1d(3);
        bn.to(DType.FLOAT64);
        bn.weight().set(randn(r, 3));
        bn.bias().set(randn(r, 3));
        GradCheck.check("batchNorm1d", x -> bn.forward(x), randn(r, 4, 3, 2), 2, 1e-6);
        BatchNorm2d bn2 = new BatchNorm2d(2);
        bn2.to(DType.FLOAT64);
        GradCheck.check("batchNorm2d", x -> bn2.forward(x).square(), randn(r, 2, 2, 2, 2), 2, 1e-6);
    }

    @Test
    void normalizeStandardisesEachChannel() {
        Normalize norm = new Normalize(new double[] {0.5, 0.25}, new double[] {2, 0.5});
        Tensor x = Tensor.rand(new Rng(10), DType.FLOAT64, 2, 2, 3);
        double[] xs = x.toDoubleArray();
        double[] expected = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            int ch = (i / 3) % 2;
            expected[i] = ch == 0 ? (xs[i] - 0.5) / 2 : (xs[i] - 0.25) / 0.5;
        }
        close(expected, norm.forward(x).value(), 1e-12);
        assertTrue(norm.stateDict().isEmpty());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> norm.forward(Tensor.zeros(2, 3)))
                .getMessage().contains("input [2, 3] does not have 2 channels in dim 1"));
        assertThrows(IllegalArgumentException.class, () -> new Normalize(new double[] {0}, new double[] {0}));
    }

    /** erf by its Taylor series, accurate to ~1e-15 for |x| ≤ 3. */
    static double erfSeries(double x) {
        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    private static void checkActivation(Layer m, DoubleUnaryOperator f, double tol) {
        double[] xs = {-3, -1.7, -0.4, -0.01, 0.02, 0.3, 1, 2.5, 4};
        Tensor y = m.forward(Tensor.of(xs, xs.length)).value();
        double[] expected = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            expected[i] = f.applyAsDouble(xs[i]);
        }
        close(expected, y, tol);
    }

    @Test
    void activationsMatchTheirFormulas() {
        checkActivation(new ReLU(), x -> Math.max(x, 0), 0);
        checkActivation(new LeakyReLU(0.2), x -> x > 0 ? x : 0.2 * x, 1e-15);
        checkActivation(new Tanh(), Math::tanh, 1e-15);
        checkActivation(new Sigmoid(), x -> 1 / (1 + Math.exp(-x)), 1e-15);
        checkActivation(new Softplus(), x -> Math.log1p(Math.exp(x)), 1e-15);
        checkActivation(new GELU(), x -> x / 2 * (1 + erfSeries(x / Math.sqrt(2))), 1e-7);
        checkActivation(new GELU("tanh"), x -> x / 2 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
                1e-14);
        assertEquals(0.8413447460685429, new GELU().forward(Tensor.of(new double[] {1}, 1)).item(), 1e-7);
        assertEquals("LeakyReLU(negative_slope=0.2)", new LeakyReLU(0.2).toString());
        assertThrows(IllegalArgumentException.class, () -> new GELU("fast"));
        for (double x = -3; x <= 3; x += 0.25) {
            assertEquals(erfSeries(x), Functional.erf(Var.of(Tensor.of(new double[] {x}, 1))).item(), 1.2e-7);
        }
    }

    @Test
    void geluGradientIsPhiPlusXTimesDensityAndPassesGradCheck() {
        double[] xs = {-2.5, -1, -0.3, 0.4, 1.2, 3};
        Tensor g = Autodiff.grad(v -> Functional.gelu(v).sum(), Tensor.of(xs, xs.length));
        for (int i = 0; i < xs.length; i++) {
            double x = xs[i];
            double expected = 0.5 * (1 + erfSeries(x / Math.sqrt(2))) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
            assertEquals(expected, g.get(i), 2e-6);
        }
        GradCheck.check("geluErf", Functional::gelu, Tensor.of(xs, xs.length), 2, 1e-6);
        GradCheck.check("erf", Functional::erf, Tensor.of(xs, xs.length), 2, 1e-6);
    }

    /** A model with a named child, to check dotted names. */
    static final class Net extends Layer {
        final Sequential features;
        final Linear head;

        Net(Rng r) {
            features = registerLayer("features", new Sequential(new Linear(4, 6, true, r), new BatchNorm1d(6),
                    new ReLU(), new Linear(6, 5, true, r), new Dropout(0.5, r)));
            head = registerLayer("head", new Linear(5, 2, false, r));
        }

        @Override
        public Var forward(Var x) {
            return head.forward(features.forward(x));
        }
    }

    @Test
    void stateDictUsesPyTorchsNamesAndModesPropagate() {
        Net net = new Net(new Rng(11));
        assertEquals(List.of("features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
                "features.3.weight", "features.3.bias", "head.weight"), List.copyOf(net.stateDict().keySet()));
        assertEquals(List.of("features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                "features.3.weight", "features.3.bias", "head.weight"), List.copyOf(net.namedParameters().keySet()));
        assertEquals(7, net.parameters().size());
        assertEquals(List.of("features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked"),
                List.copyOf(net.namedBuffers().keySet()));
        assertArrayEquals(new int[0], net.stateDict().get("features.1.num_batches_tracked").shape());
        assertTrue(net.features.get(4).isTraining());
        net.eval();
        assertFalse(net.features.get(4).isTraining());
        assertFalse(net.head.isTraining());
        net.train();
        assertTrue(net.features.get(1).isTraining());
        assertEquals(5, net.features.size());
        int count = 0;
        for (Layer m : net.features) {
            assertSame(net.features.get(count++), m);
        }
        assertEquals("Net(\n"
                + "  (features): Sequential(\n"
                + "    (0): Linear(in_features=4, out_features=6, bias=true)\n"
                + "    (1): BatchNorm1d(6, eps=1.0E-5, momentum=0.1, affine=true, track_running_stats=true)\n"
                + "    (2): ReLU()\n"
                + "    (3): Linear(in_features=6, out_features=5, bias=true)\n"
                + "    (4): Dropout(p=0.5)\n"
                + "  )\n"
                + "  (head): Linear(in_features=5, out_features=2, bias=false)\n"
                + ")", net.toString());
    }

    @Test
    void loadStateDictRoundTripsAndListsEveryProblem() {
        Net a = new Net(new Rng(12));
        a.forward(Tensor.randn(new Rng(13), 8, 4)); // moves the running stats
        Net b = new Net(new Rng(14));
        assertTrue(b.loadStateDict(a.stateDict(), true).isClean());
        a.eval();
        b.eval();
        Tensor x = Tensor.randn(new Rng(15), 3, 4);
        assertArrayEquals(a.forward(x).value().toDoubleArray(), b.forward(x).value().toDoubleArray());
        assertEquals(1, b.namedLayers().get("features.1") instanceof BatchNorm1d bn ? bn.numBatchesTracked() : -1);

        var bad = new java.util.LinkedHashMap<>(a.stateDict());
        bad.remove("features.0.bias");
        bad.remove("head.weight");
        bad.put("features.9.weight", Tensor.zeros(2));
        bad.put("features.3.weight", Tensor.zeros(5, 7));
        Net c = new Net(new Rng(16));
        Tensor before = c.features.get(0) instanceof Linear l ? l.weight().value() : null;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.loadStateDict(bad, true));
        String msg = e.getMessage();
        assertTrue(msg.contains("missing keys [features.0.bias, head.weight]"), msg);
        assertTrue(msg.contains("unexpected keys [features.9.weight]"), msg);
        assertTrue(msg.contains("features.3.weight: checkpoint [5, 7] vs model [5, 6]"), msg);
        assertSame(before, ((Linear) c.features.get(0)).weight().value(), "strict failure loads nothing");
        Layer.LoadResult res = c.loadStateDict(bad, false);
        assertEquals(List.of("features.0.bias", "head.weight"), res.missingKeys());
        assertEquals(List.of("features.9.weight"), res.unexpectedKeys());
        assertEquals(1, res.shapeMismatches().size());
        assertArrayEquals(a.stateDict().get("features.0.weight").toDoubleArray(),
                ((Linear) c.features.get(0)).weight().value().toDoubleArray());
        // a float64 checkpoint loads into a float32 model, converted
        Linear l32 = new Linear(2, 2, false, new Rng(17));
        l32.loadStateDict(java.util.Map.of("weight", Tensor.of(new double[] {1, 2, 3, 4}, 2, 2)), true);
        assertEquals(DType.FLOAT32, l32.weight().dtype());
        assertArrayEquals(new double[] {1, 2, 3, 4}, l32.weight().value().toDoubleArray());
    }
}
