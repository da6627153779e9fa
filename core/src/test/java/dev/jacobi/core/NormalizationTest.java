package dev.jacobi.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NormalizationTest {
    /** Batch norm and its gradients by loops over an {@code [N, C, L]} array, in double. */
    private static double[][] byLoops(double[] x, double[] g, int n, int c, int l, double[] w, double[] b, boolean relu) {
        double[] y = new double[x.length];
        double[] gx = new double[x.length];
        double[] gw = new double[c];
        double[] gb = new double[c];
        int m = n * l;
        for (int ch = 0; ch < c; ch++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < l; k++) {
                    mean += x[(i * c + ch) * l + k] / m;
                }
            }
            double var = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < l; k++) {
                    var += Math.pow(x[(i * c + ch) * l + k] - mean, 2) / m;
                }
            }
            double is = 1 / Math.sqrt(var + 1e-5);
            double[] mk = new double[x.length];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < l; k++) {
                    int at = (i * c + ch) * l + k;
                    double v = (x[at] - mean) * is * w[ch] + b[ch];
                    y[at] = relu ? Math.max(v, 0) : v;
                    mk[at] = relu && v <= 0 ? 0 : g[at];
                    gb[ch] += mk[at];
                    gw[ch] += mk[at] * (x[at] - mean) * is;
                }
            }
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < l; k++) {
                    int at = (i * c + ch) * l + k;
                    gx[at] = w[ch] * is * (mk[at] - gb[ch] / m - (x[at] - mean) * is * gw[ch] / m);
                }
            }
        }
        return new double[][] {y, gx, gw, gb};
    }

    @Test
    void batchNormAndItsBackwardMatchTheFormulaInBothDtypesWithAndWithoutReLU() {
        // 37 values per run: the vector loops and their tails; 2, the shortest runs; 1, an [N, C] input (broadcast ops)
        for (int l : new int[] {37, 2, 1}) {
            checkAgainstLoops(new Rng(l), 3, 4, l);
        }
    }

    private static void checkAgainstLoops(Rng rng, int n, int c, int l) {
        // an offset mean, as in unnormalised data
        Tensor x64 = Tensor.randn(rng, DType.FLOAT64, n, c, l).mul(2).add(5);
        Tensor g64 = Tensor.randn(rng, DType.FLOAT64, n, c, l);
        Tensor w64 = Tensor.randn(rng, DType.FLOAT64, c);
        Tensor b64 = Tensor.randn(rng, DType.FLOAT64, c);
        for (boolean relu : new boolean[] {false, true}) {
            double[][] want = byLoops(x64.toDoubleArray(), g64.toDoubleArray(), n, c, l, w64.toDoubleArray(),
                    b64.toDoubleArray(), relu);
            for (DType dt : DType.values()) {
                double tol = dt == DType.FLOAT64 ? 1e-12 : 2e-5;
                Normalization.BatchNorm f = Normalization.batchNorm(x64.to(dt), w64.to(dt), b64.to(dt), 1e-5, relu);
                assertArrayEquals(want[0], f.output().toDoubleArray(), tol, dt + " relu " + relu + " run " + l);
                assertArrayEquals(x64.mean(new int[] {0, 2}, false).toDoubleArray(), f.mean().toDoubleArray(), tol);
                Tensor[] gr = Normalization.batchNormBackward(g64.to(dt), relu ? f.output() : null, x64.to(dt),
                        f.mean(), f.invstd(), w64.to(dt));
                for (int k = 0; k < 3; k++) {
                    assertArrayEquals(want[k + 1], gr[k].toDoubleArray(), tol * 10, dt + " grad " + k + " run " + l);
                }
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCountOrTheInputsLayout() {
        Rng rng = new Rng(2);
        Tensor x = Tensor.randn(rng, 8, 32, 9, 9);
        Tensor g = Tensor.randn(rng, 8, 32, 9, 9);
        Tensor w = Tensor.randn(rng, 32);
        Tensor b = Tensor.randn(rng, 32);
        int before = Parallel.threads();
        try {
            double[][] r = new double[2][];
            for (int t = 1; t <= 2; t++) {
                Parallel.setThreads(t);
                Normalization.BatchNorm f = Normalization.batchNorm(x, w, b, 1e-5, true);
                Tensor[] gr = Normalization.batchNormBackward(g, f.output(), x, f.mean(), f.invstd(), w);
                r[t - 1] = Tensor.cat(java.util.List.of(f.output().flatten(), gr[0].flatten(), gr[1], gr[2]), 0)
                        .toDoubleArray();
            }
            assertArrayEquals(r[0], r[1], 0);
        } finally {
            Parallel.setThreads(before);
        }
        // a transposed view gives the same as its contiguous copy
        Tensor xt = Tensor.randn(rng, 5, 3, 6).transpose(0, 2).transpose(1, 2); // [6, 5, 3], not contiguous
        assertTrue(!xt.isContiguous());
        Tensor w5 = Tensor.randn(rng, 5);
        Tensor b5 = Tensor.randn(rng, 5);
        assertArrayEquals(Normalization.batchNorm(xt.contiguous(), w5, b5, 1e-5, false).output().toDoubleArray(),
                Normalization.batchNorm(xt, w5, b5, 1e-5, false).output().toDoubleArray(), 0);
    }

    @Test
    void badShapesAndEpsAreRefusedWithWhatWasGiven() {
        Tensor w = Tensor.ones(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(Tensor.zeros(2, 4, 5), w, w, 1e-5, false));
        assertTrue(e.getMessage().contains("[3]") && e.getMessage().contains("[2, 4, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(Tensor.zeros(1, 3), w, w, 1e-5, false));
        assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNorm(Tensor.zeros(2, 3), w, w, 0, false));
        assertTrue(e.getMessage().contains("eps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Normalization.batchNormBackward(Tensor.zeros(2, 3, 2), null, Tensor.zeros(2, 3), w, w, w));
        assertTrue(e.getMessage().contains("[2, 3, 2]"), e.getMessage());
    }
}
