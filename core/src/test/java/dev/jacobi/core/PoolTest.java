package dev.jacobi.core;

import static dev.jacobi.core.ConvTest.assertMessage;
import static dev.jacobi.core.ConvTest.assertRelClose;
import static dev.jacobi.core.ConvTest.dot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.kernel.Workers;
import org.junit.jupiter.api.Test;

class PoolTest {
    private static final Tensor X44 = Tensor.arange(DType.FLOAT64, 0, 16, 1).reshape(1, 1, 4, 4);

    /** Random pooling configs: kernel 1-3, stride 1-3, padding up to half the kernel, non-square. */
    private static int[] randomConfig(Rng rng) {
        while (true) {
            int kh = 1 + rng.nextInt(3);
            int kw = 1 + rng.nextInt(3);
            int[] c = {1 + rng.nextInt(2), 1 + rng.nextInt(3), 1 + rng.nextInt(7), 1 + rng.nextInt(7), kh, kw,
                1 + rng.nextInt(3), 1 + rng.nextInt(3), rng.nextInt(kh / 2 + 1), rng.nextInt(kw / 2 + 1)};
            if (c[2] + 2 * c[8] >= kh && c[3] + 2 * c[9] >= kw) {
                return c;
            }
        }
    }

    /** Naive pooling over the window in float64: max (first max, padding = -inf) or mean with padding counted. */
    private static double[] naive(double[] x, int[] c, boolean max, int[] argmax) {
        int ho = (c[2] + 2 * c[8] - c[4]) / c[6] + 1;
        int wo = (c[3] + 2 * c[9] - c[5]) / c[7] + 1;
        double[] y = new double[c[0] * c[1] * ho * wo];
        int at = 0;
        for (int plane = 0; plane < c[0] * c[1]; plane++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++, at++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    for (int p = 0; p < c[4]; p++) {
                        for (int q = 0; q < c[5]; q++) {
                            int r = i * c[6] - c[8] + p;
                            int col = j * c[7] - c[9] + q;
                            if (r >= 0 && r < c[2] && col >= 0 && col < c[3]) {
                                int k = (plane * c[2] + r) * c[3] + col;
                                if (!max) {
                                    acc += x[k];
                                } else if (x[k] > acc) {
                                    acc = x[k];
                                    argmax[at] = k;
                                }
                            }
                        }
                    }
                    y[at] = max ? acc : acc / (c[4] * c[5]);
                }
            }
        }
        return y;
    }

    @Test
    void maxPoolKnownAnswers() {
        Pool.MaxPoolResult r = Pool.maxPool2d(X44, 2, 2, 2, 2, 0, 0);
        assertArrayEquals(new double[] {5, 7, 13, 15}, r.values().toDoubleArray());
        assertArrayEquals(new int[] {5, 7, 13, 15}, r.indices());
        // padding is -infinity, so an all-negative corner window still returns a real element
        Pool.MaxPoolResult neg = Pool.maxPool2d(X44.neg(), 3, 3, 2, 2, 1, 1);
        assertArrayEquals(new double[] {0, -1, -4, -5}, neg.values().toDoubleArray(), 0);
        assertArrayEquals(new int[] {0, 1, 4, 5}, neg.indices());
        // ties keep the first maximum; NaN propagates
        Tensor ties = Tensor.of(new float[] {1, 3, 3, 3, Float.NaN, 2, 0, 5, 5}, 1, 1, 3, 3);
        Pool.MaxPoolResult t = Pool.maxPool2d(ties, 2, 2, 1, 1, 0, 0);
        assertArrayEquals(new int[] {4, 4, 4, 4}, t.indices());
        assertTrue(Double.isNaN(t.values().toDoubleArray()[0]));
        Pool.MaxPoolResult t2 = Pool.maxPool2d(ties.narrow(2, 0, 1), 1, 3, 1, 1, 0, 0);
        assertArrayEquals(new int[] {1}, t2.indices());
    }

    /**
     * The 2×2, stride-2 float32 path (rows of windows from contiguous loads, spilling short rows into the next) on
     * row widths below, at and above a vector, with ties, signed zeros and NaNs, on one and two threads.
     */
    @Test
    void maxPool2x2MatchesNaiveOnWideAndNarrowRowsWithTiesZerosInfinitiesAndNaNs() {
        int saved = Workers.threads();
        Rng rng = new Rng(22);
        float[] values = {-2, -1, -0f, 0f, 1, 3};
        int[][] shapes = {{2, 3, 28, 28}, {3, 5, 14, 14}, {1, 2, 8, 40}, {2, 2, 6, 7}, {1, 1, 2, 2}, {4, 3, 9, 12}};
        try {
            for (int[] sh : shapes) {
                float[] x = new float[sh[0] * sh[1] * sh[2] * sh[3]];
                for (int i = 0; i < x.length; i++) {
                    x[i] = values[rng.nextInt(values.length)];
                }
                // finite values, then with +∞ and -∞ (whose sum is NaN, which sends the kernel to its scalar path),
                // then with NaNs as well
                for (int mode = 0; mode < 3; mode++) {
                    if (mode == 1) {
                        x[rng.nextInt(x.length)] = Float.POSITIVE_INFINITY;
                        x[rng.nextInt(x.length)] = Float.NEGATIVE_INFINITY;
                        x[0] = Float.NEGATIVE_INFINITY;
                        x[1] = Float.POSITIVE_INFINITY;
                    }
                    if (mode == 2) {
                        x[rng.nextInt(x.length)] = Float.NaN;
                        x[x.length - 1] = Float.NaN;
                    }
                    Tensor xt = Tensor.of(x, sh);
                    int[] c = {sh[0], sh[1], sh[2], sh[3], 2, 2, 2, 2, 0, 0};
                    double[] xd = new double[x.length];
                    for (int i = 0; i < x.length; i++) {
                        xd[i] = x[i] == 0 ? 0 : x[i]; // -0 and +0 tie, as in the kernel
                    }
                    int[] want = new int[sh[0] * sh[1] * (sh[2] / 2) * (sh[3] / 2)];
                    double[] wantValues = naive(xd, c, true, want);
                    for (int threads = 1; threads <= 2; threads++) {
                        Workers.setThreads(threads);
                        Pool.MaxPoolResult r = Pool.maxPool2d(xt, 2, 2, 2, 2, 0, 0);
                        double[] got = r.values().toDoubleArray();
                        for (int o = 0; o < want.length; o++) {
                            String at = java.util.Arrays.toString(sh) + " mode=" + mode + " threads=" + threads
                                    + " output " + o;
                            int k = r.indices()[o];
                            int firstNaN = firstNaN(x, want[o], sh[2], sh[3]);
                            if (firstNaN >= 0) { // the first NaN of the window wins
                                assertTrue(Float.isNaN(x[k]) && Double.isNaN(got[o]), at);
                                assertEquals(firstNaN, k, at);
                            } else {
                                assertEquals(want[o], k, at);
                                assertEquals(wantValues[o], got[o], 0, at);
                                assertEquals(Float.floatToIntBits(x[k]), Float.floatToIntBits((float) got[o]), at);
                            }
                        }
                    }
                }
            }
        } finally {
            Workers.setThreads(saved);
        }
    }

    /**
     * The first NaN, in row-major order, of the 2×2 window that contains {@code k} (the window's corner has even
     * coordinates in its {@code h×w} plane), or -1.
     */
    private static int firstNaN(float[] x, int k, int h, int w) {
        int inPlane = k % (h * w);
        int row = inPlane / w;
        int col = inPlane % w;
        int corner = k - inPlane + (row - row % 2) * w + col - col % 2;
        for (int t : new int[] {corner, corner + 1, corner + w, corner + w + 1}) {
            if (Float.isNaN(x[t])) {
                return t;
            }
        }
        return -1;
    }

    @Test
    void maxPoolMatchesNaiveAndAdjoints() {
        Rng rng = new Rng(21);
        for (int t = 0; t < 100; t++) {
            int[] c = randomConfig(rng);
            Tensor x = Tensor.randn(rng, DType.FLOAT64, c[0], c[1], c[2], c[3]);
            Pool.MaxPoolResult r = Pool.maxPool2d(x, c[4], c[5], c[6], c[7], c[8], c[9]);
            int[] expectIdx = new int[r.indices().length];
            assertArrayEquals(naive(x.toDoubleArray(), c, true, expectIdx), r.values().toDoubleArray());
            assertArrayEquals(expectIdx, r.indices());
            Pool.MaxPoolResult r32 = Pool.maxPool2d(x.to(DType.FLOAT32), c[4], c[5], c[6], c[7], c[8], c[9]);
            assertArrayEquals(r.indices(), r32.indices());
            assertTrue(r32.values().allClose(r.values(), 1e-6, 0));
            // <maxpool(x), y> = <x, scatterFlat(y)> at fixed indices, and scatterFlat/gatherFlat are adjoint
            Tensor y = Tensor.randn(rng, DType.FLOAT64, r.values().shape());
            Tensor scattered = Pool.scatterFlat(y, r.indices(), x.shape());
            assertRelClose(dot(r.values(), y), dot(x, scattered), 1e-10);
            assertTrue(Pool.scatterFlat(y.to(DType.FLOAT32), r.indices(), x.shape()).allClose(scattered, 1e-6, 1e-6));
            assertRelClose(dot(Pool.gatherFlat(x, r.indices(), y.shape()), y), dot(x, scattered), 1e-10);
            assertTrue(Pool.gatherFlat(x, r.indices(), y.shape()).allClose(r.values(), 0, 0));
        }
    }

    @Test
    void avgPoolKnownAnswersAndNaive() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 1, 1, 2, 2);
        assertArrayEquals(new double[] {2.5}, Pool.avgPool2d(x, 2, 2, 1, 1, 0, 0).toDoubleArray());
        assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1}, Pool.avgPool2d(x, 2, 2, 2, 2, 1, 1).toDoubleArray());
        Rng rng = new Rng(22);
        for (int t = 0; t < 100; t++) {
            int[] c = randomConfig(rng);
            Tensor xr = Tensor.randn(rng, DType.FLOAT64, c[0], c[1], c[2], c[3]);
            Tensor y = Pool.avgPool2d(xr, c[4], c[5], c[6], c[7], c[8], c[9]);
            assertArrayEquals(naive(xr.toDoubleArray(), c, false, null), y.toDoubleArray(), 1e-12);
            assertTrue(Pool.avgPool2d(xr.to(DType.FLOAT32), c[4], c[5], c[6], c[7], c[8], c[9])
                    .allClose(y, 1e-5, 1e-6));
            Tensor gy = Tensor.randn(rng, DType.FLOAT64, y.shape());
            Tensor gx = Pool.avgPool2dAdjoint(gy, c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]);
            assertArrayEquals(xr.shape(), gx.shape());
            assertRelClose(dot(y, gy), dot(xr, gx), 1e-10);
        }
    }

    @Test
    void badInputs() {
        assertMessage("maxPool2d: need kernel >= 1, stride >= 1 and 0 <= padding <= kernel / 2",
                () -> Pool.maxPool2d(X44, 2, 2, 1, 1, 2, 0));
        assertMessage("avgPool2d: input must be [N, C, H, W], got [4, 4]",
                () -> Pool.avgPool2d(X44.reshape(4, 4), 2, 2, 1, 1, 0, 0));
        assertMessage("maxPool2d: kernel extent 5", () -> Pool.maxPool2d(X44, 5, 1, 1, 1, 0, 0));
        assertMessage("avgPool2dAdjoint: gradient [1, 1, 2, 2] does not match the output size (3, 3)",
                () -> Pool.avgPool2dAdjoint(Tensor.zeros(1, 1, 2, 2), 4, 4, 2, 2, 1, 1, 0, 0));
        assertMessage("scatterFlat: index 16 at position 1 is outside [0, 16)",
                () -> Pool.scatterFlat(Tensor.zeros(2), new int[] {0, 16}, new int[] {4, 4}));
        assertMessage("gatherFlat: 3 indices for 2 values",
                () -> Pool.gatherFlat(X44, new int[] {0, 1, 2}, new int[] {2}));
        assertEquals(0, Pool.scatterFlat(Tensor.zeros(0), new int[0], new int[] {2, 2}).sum().item());
    }
}
