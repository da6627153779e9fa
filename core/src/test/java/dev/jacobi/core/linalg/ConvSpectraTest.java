package dev.jacobi.core.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ConvSpectraTest {
    /** The dense matrix of the circular cross-correlation y[o,i,j] = Σ K[o,c,a,b]·x[c,(i+a)%n,(j+b)%m]. */
    static double[] denseConv(Tensor kernel, int n, int m) {
        int[] s = kernel.shape();
        int cout = s[0];
        int cin = s[1];
        int kh = s[2];
        int kw = s[3];
        double[] k = kernel.toDoubleArray();
        int rows = cout * n * m;
        int cols = cin * n * m;
        double[] dense = new double[rows * cols];
        for (int col = 0; col < cols; col++) { // apply the naive convolution to the basis vector e_col
            double[] x = new double[cols];
            x[col] = 1;
            for (int o = 0; o < cout; o++) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < m; j++) {
                        double y = 0;
                        for (int c = 0; c < cin; c++) {
                            for (int a = 0; a < kh; a++) {
                                for (int b = 0; b < kw; b++) {
                                    y += k[((o * cin + c) * kh + a) * kw + b] * x[(c * n + (i + a) % n) * m + (j + b) % m];
                                }
                            }
                        }
                        dense[((o * n + i) * m + j) * cols + col] = y;
                    }
                }
            }
        }
        return dense;
    }

    static double[] denseSingularValues(Tensor kernel, int n, int m) {
        int[] s = kernel.shape();
        return Linalg.svdvals(Tensor.of(denseConv(kernel, n, m), s[0] * n * m, s[1] * n * m)).toDoubleArray();
    }

    static double max(Tensor t) {
        return t.toDoubleArray()[0];
    }

    @Test
    void kernelSpectrumEqualsPaddedFft2() {
        Rng rng = new Rng(1);
        Tensor k = Tensor.randn(rng, DType.FLOAT64, 3, 2, 3, 2);
        for (int[] nm : new int[][] {{5, 7}, {3, 2}, {8, 8}}) {
            Fft.Complex got = ConvSpectra.kernelSpectrum(k, nm[0], nm[1]);
            Fft.Complex want = Fft.fft2(k, nm[0], nm[1]);
            assertArrayEquals(new int[] {nm[0], nm[1], 3, 2}, got.re().shape());
            assertEquals(DType.FLOAT64, got.im().dtype());
            assertTrue(got.re().allClose(want.re().permute(2, 3, 0, 1), 0, 1e-12), "re " + Arrays.toString(nm));
            assertTrue(got.im().allClose(want.im().permute(2, 3, 0, 1), 0, 1e-12), "im " + Arrays.toString(nm));
        }
        Tensor k32 = Tensor.randn(rng, 4, 3, 3, 3);
        Fft.Complex got = ConvSpectra.kernelSpectrum(k32, 6, 5);
        assertEquals(DType.FLOAT32, got.re().dtype());
        assertTrue(got.re().allClose(Fft.fft2(k32, 6, 5).re().permute(2, 3, 0, 1), 1e-5, 1e-5));
    }

    @Test
    void matchesDenseConvolutionMatrix() {
        Rng rng = new Rng(2);
        // square, more outputs than inputs, more inputs than outputs (both Lanczos sides), non-square input
        int[][] cases = {{2, 2, 3, 3, 5, 5}, {3, 2, 3, 3, 4, 5}, {2, 3, 2, 3, 5, 4}, {1, 1, 3, 3, 5, 5}};
        for (int[] c : cases) {
            Tensor k = Tensor.randn(rng, DType.FLOAT64, c[0], c[1], c[2], c[3]);
            int n = c[4];
            int m = c[5];
            double[] want = denseSingularValues(k, n, m);
            double[] got = ConvSpectra.singularValues(k, n, m).toDoubleArray();
            String what = Arrays.toString(c);
            assertArrayEquals(want, got, 1e-11 * want[0], what);
            assertEquals(want[0], ConvSpectra.operatorNorm(k, n, m), 1e-9 * want[0], what);
            assertEquals(want[0], ConvSpectra.operatorNorm(k.to(DType.FLOAT32), n, m), 1e-6 * want[0], what + " f32");
        }
    }

    @Test
    void operatorNormIsLargestSingularValue() {
        Rng rng = new Rng(3);
        int[][] cases = {{8, 8, 3, 3, 8, 8}, {5, 9, 3, 3, 7, 6}, {9, 4, 2, 5, 6, 9}, {16, 16, 3, 3, 8, 8}};
        for (int[] c : cases) {
            Tensor k = Tensor.randn(rng, DType.FLOAT64, c[0], c[1], c[2], c[3]);
            Tensor s = ConvSpectra.singularValues(k, c[4], c[5]);
            assertArrayEquals(new int[] {c[4] * c[5] * Math.min(c[0], c[1])}, s.shape());
            assertEquals(DType.FLOAT64, s.dtype());
            double[] v = s.toDoubleArray();
            for (int i = 1; i < v.length; i++) {
                assertTrue(v[i - 1] >= v[i], "descending at " + i);
            }
            double sigma = ConvSpectra.operatorNorm(k, c[4], c[5]);
            assertEquals(v[0], sigma, 1e-9 * v[0], Arrays.toString(c));
        }
    }

    @Test
    void prunedFrequenciesDoNotChangeTheNorm() {
        // a smooth kernel: the low frequencies dominate, so most frequencies are skipped by the Frobenius bound
        Rng rng = new Rng(4);
        Tensor base = Tensor.randn(rng, DType.FLOAT64, 6, 4, 1, 1);
        Tensor k = base.expand(6, 4, 3, 3).add(Tensor.randn(rng, DType.FLOAT64, 6, 4, 3, 3).mul(0.05));
        double want = max(ConvSpectra.singularValues(k, 9, 9));
        assertEquals(want, ConvSpectra.operatorNorm(k, 9, 9), 1e-9 * want);
        assertEquals(0, ConvSpectra.operatorNorm(Tensor.zeros(3, 3, 3, 3), 4, 4), 0);
    }

    @Test
    void oneByOneKernelIsTheMatrixNorm() {
        Rng rng = new Rng(5);
        Tensor w = Tensor.randn(rng, DType.FLOAT64, 7, 5);
        Tensor k = w.reshape(7, 5, 1, 1);
        double norm = Linalg.spectralNorm(w);
        assertEquals(norm, ConvSpectra.operatorNorm(k, 1, 1), 1e-10 * norm);
        assertEquals(norm, ConvSpectra.operatorNorm(k, 6, 3), 1e-10 * norm);
        double[] s = ConvSpectra.singularValues(k, 2, 3).toDoubleArray();
        double[] sw = Linalg.svdvals(w).toDoubleArray();
        for (int i = 0; i < s.length; i++) {
            assertEquals(sw[i / 6], s[i], 1e-12 * norm, "each value 6 times at " + i);
        }
    }

    @Test
    void clipBoundsTheNorm() {
        Rng rng = new Rng(6);
        Tensor k = Tensor.randn(rng, DType.FLOAT64, 4, 4, 3, 3);
        double sigma = ConvSpectra.operatorNorm(k, 8, 8);
        double tau = 0.6 * sigma;
        Tensor c = ConvSpectra.clip(k, 8, 8, tau);
        assertArrayEquals(k.shape(), c.shape());
        assertEquals(DType.FLOAT64, c.dtype());
        double once = ConvSpectra.operatorNorm(c, 8, 8);
        // the crop to 3x3 makes one clip approximate: it moves the norm more than halfway to tau
        assertTrue(once < sigma && once - tau < 0.5 * (sigma - tau), "after one clip " + once + ", tau " + tau);
        Tensor again = c;
        for (int i = 1; i < 30; i++) {
            again = ConvSpectra.clip(again, 8, 8, tau);
        }
        double repeated = ConvSpectra.operatorNorm(again, 8, 8);
        assertEquals(tau, repeated, 0.01 * tau, "after 30 clips");
        // nothing to clip: unchanged
        assertTrue(ConvSpectra.clip(k, 8, 8, 1.01 * sigma).allClose(k, 0, 1e-12));
        // a full-size kernel needs no crop: the projection is exact, and float32 stays float32
        Tensor full = Tensor.randn(rng, 3, 2, 5, 4);
        Tensor fc = ConvSpectra.clip(full, 5, 4, 1.5);
        assertEquals(DType.FLOAT32, fc.dtype());
        assertEquals(1.5, ConvSpectra.operatorNorm(fc, 5, 4), 1e-5);
        double[] before = ConvSpectra.singularValues(full, 5, 4).toDoubleArray();
        double[] after = ConvSpectra.singularValues(fc, 5, 4).toDoubleArray();
        for (int i = 0; i < before.length; i++) {
            assertEquals(Math.min(before[i], 1.5), after[i], 1e-5, "clipped singular value " + i);
        }
    }

    static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void errorsNameTheOpAndValues() {
        Tensor k = Tensor.zeros(2, 3, 3, 3);
        assertMessage(() -> ConvSpectra.operatorNorm(Tensor.zeros(2, 3, 3), 8, 8), "operatorNorm", "[2, 3, 3]");
        assertMessage(() -> ConvSpectra.operatorNorm(null, 8, 8), "operatorNorm", "null");
        assertMessage(() -> ConvSpectra.singularValues(k, 2, 8), "singularValues", "2x8", "3x3", "[2, 3, 3, 3]");
        assertMessage(() -> ConvSpectra.kernelSpectrum(k, 8, 1), "kernelSpectrum", "8x1");
        assertMessage(() -> ConvSpectra.clip(k, 8, 8, -1), "clip", "tau", "-1.0");
        assertMessage(() -> ConvSpectra.clip(k, 8, 8, Double.NaN), "clip", "NaN");
        assertMessage(() -> ConvSpectra.operatorNorm(Tensor.zeros(0, 3, 3, 3), 8, 8), "operatorNorm", "[0, 3, 3, 3]");
        Tensor bad = Tensor.of(new double[] {1, Double.NaN, 0, 0}, 1, 1, 2, 2);
        assertMessage(() -> ConvSpectra.operatorNorm(bad, 4, 4), "operatorNorm", "NaN", "[1, 1, 2, 2]");
    }
}
