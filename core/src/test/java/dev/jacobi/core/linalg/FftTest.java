package dev.jacobi.core.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class FftTest {
    /** Naive O(n²) DFT with sign -1 (forward) or +1 and 1/n (inverse). */
    static double[][] dft(double[] re, double[] im, boolean inverse) {
        int n = re.length;
        double[] or = new double[n];
        double[] oi = new double[n];
        double sign = inverse ? 1 : -1;
        for (int k = 0; k < n; k++) {
            double sr = 0;
            double si = 0;
            for (int j = 0; j < n; j++) {
                double a = sign * 2 * Math.PI * ((long) j * k % n) / n;
                sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
                si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
            }
            or[k] = inverse ? sr / n : sr;
            oi[k] = inverse ? si / n : si;
        }
        return new double[][] {or, oi};
    }

    static double[] gauss(Rng rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian();
        }
        return v;
    }

    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, what + " at " + i);
        }
    }

    @Test
    void matchesNaiveDftForManySizes() {
        Rng rng = new Rng(1);
        int[] sizes = IntStream.concat(IntStream.rangeClosed(1, 40), IntStream.of(64, 97, 128, 210, 1000)).toArray();
        for (int n : sizes) {
            for (boolean inverse : new boolean[] {false, true}) {
                double[] re = gauss(rng, n);
                double[] im = gauss(rng, n);
                double[][] want = dft(re, im, inverse);
                double[] r = re.clone();
                double[] i = im.clone();
                Fft.fft(r, i, inverse);
                double tol = 1e-11 * Math.sqrt(n) * (inverse ? 1.0 / n : 1) * Math.max(1, Math.log(n));
                assertClose(want[0], r, tol, "re n=" + n + " inverse=" + inverse);
                assertClose(want[1], i, tol, "im n=" + n + " inverse=" + inverse);
            }
        }
    }

    @Test
    void roundTripAndParseval() {
        Rng rng = new Rng(2);
        for (int n : new int[] {1, 2, 7, 16, 100, 1021, 4096}) {
            double[] re = gauss(rng, n);
            double[] im = gauss(rng, n);
            double[] r = re.clone();
            double[] i = im.clone();
            Fft.fft(r, i, false);
            double et = 0;
            double ef = 0;
            for (int k = 0; k < n; k++) {
                et += re[k] * re[k] + im[k] * im[k];
                ef += r[k] * r[k] + i[k] * i[k];
            }
            assertEquals(et, ef / n, 1e-10 * et, "Parseval n=" + n);
            Fft.fft(r, i, true);
            assertClose(re, r, 1e-12, "round trip re n=" + n);
            assertClose(im, i, 1e-12, "round trip im n=" + n);
        }
    }

    @Test
    void deltaAndConstant() {
        double[] re = new double[12];
        double[] im = new double[12];
        re[0] = 1;
        Fft.fft(re, im, false);
        double[] ones = new double[12];
        java.util.Arrays.fill(ones, 1);
        assertClose(ones, re, 1e-14, "delta re");
        assertClose(new double[12], im, 1e-14, "delta im");
    }

    /** Naive 2-D DFT of one h×w plane. */
    static double[][] dft2(double[] re, double[] im, int h, int w, boolean inverse) {
        double[] or = new double[h * w];
        double[] oi = new double[h * w];
        double sign = inverse ? 1 : -1;
        double scale = inverse ? 1.0 / (h * w) : 1;
        for (int u = 0; u < h; u++) {
            for (int v = 0; v < w; v++) {
                double sr = 0;
                double si = 0;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double a = sign * 2 * Math.PI * ((double) (u * y % h) / h + (double) (v * x % w) / w);
                        sr += re[y * w + x] * Math.cos(a) - im[y * w + x] * Math.sin(a);
                        si += re[y * w + x] * Math.sin(a) + im[y * w + x] * Math.cos(a);
                    }
                }
                or[u * w + v] = sr * scale;
                oi[u * w + v] = si * scale;
            }
        }
        return new double[][] {or, oi};
    }

    @Test
    void fft2MatchesNaiveOnBatchesAndOddSizes() {
        Rng rng = new Rng(3);
        int[][] sizes = {{5, 7}, {32, 32}, {13, 1}, {1, 6}, {6, 10}};
        for (int[] hw : sizes) {
            int h = hw[0];
            int w = hw[1];
            for (boolean inverse : new boolean[] {false, true}) {
                Tensor re = Tensor.randn(rng, DType.FLOAT64, 2, 3, h, w);
                Tensor im = Tensor.randn(rng, DType.FLOAT64, 2, 3, h, w);
                Fft.Complex z = inverse ? Fft.ifft2(re, im) : Fft.fft2(re, im);
                assertArrayEquals(re.shape(), z.re().shape());
                assertEquals(DType.FLOAT64, z.re().dtype());
                double[] ar = re.toDoubleArray();
                double[] ai = im.toDoubleArray();
                double[] zr = z.re().toDoubleArray();
                double[] zi = z.im().toDoubleArray();
                int p = h * w;
                for (int b = 0; b < 6; b++) {
                    double[][] want = dft2(java.util.Arrays.copyOfRange(ar, b * p, b * p + p),
                            java.util.Arrays.copyOfRange(ai, b * p, b * p + p), h, w, inverse);
                    String what = h + "x" + w + " inverse=" + inverse + " batch " + b;
                    assertClose(want[0], java.util.Arrays.copyOfRange(zr, b * p, b * p + p), 1e-10, what);
                    assertClose(want[1], java.util.Arrays.copyOfRange(zi, b * p, b * p + p), 1e-10, what);
                }
            }
        }
    }

    @Test
    void fft2RoundTripFloat32AndStridedInput() {
        Rng rng = new Rng(4);
        // a transposed (non-contiguous) float32 view with a null imaginary part
        Tensor x = Tensor.randn(rng, 3, 9, 5).transpose(1, 2);
        Fft.Complex z = Fft.fft2(x, null);
        assertEquals(DType.FLOAT32, z.re().dtype());
        Fft.Complex back = Fft.ifft2(z.re(), z.im());
        assertTrue(back.re().allClose(x, 1e-5, 1e-5));
        assertTrue(back.im().allClose(Tensor.zeros(3, 5, 9), 0, 1e-5));
        // DC term is the plane sum
        assertEquals(x.select(0, 1).sum().item(), z.re().get(1, 0, 0), 1e-4);
    }

    @Test
    void fft2WithPaddingEqualsFft2OfZeroPadded() {
        Rng rng = new Rng(5);
        Tensor k = Tensor.randn(rng, DType.FLOAT64, 4, 2, 3, 3);
        Fft.Complex z = Fft.fft2(k, 8, 7);
        assertArrayEquals(new int[] {4, 2, 8, 7}, z.re().shape());
        double[] src = k.toDoubleArray();
        for (int b = 0; b < 8; b++) {
            double[] padded = new double[8 * 7];
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 3; x++) {
                    padded[y * 7 + x] = src[b * 9 + y * 3 + x];
                }
            }
            double[][] want = dft2(padded, new double[56], 8, 7, false);
            Tensor got = z.re().reshape(8, 56).select(0, b);
            assertClose(want[0], got.toDoubleArray(), 1e-11, "padded re batch " + b);
            assertClose(want[1], z.im().reshape(8, 56).select(0, b).toDoubleArray(), 1e-11, "padded im batch " + b);
        }
        // no padding needed is the plain transform
        Fft.Complex same = Fft.fft2(k, 3, 3);
        assertTrue(same.re().allClose(Fft.fft2(k, null).re(), 0, 1e-13));
    }

    @Test
    void errorsNameTheOpAndShapes() {
        var e1 = assertThrows(IllegalArgumentException.class, () -> Fft.fft2(Tensor.zeros(5), null));
        assertTrue(e1.getMessage().contains("fft2") && e1.getMessage().contains("[5]"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> Fft.fft2(Tensor.zeros(2, 3, 3), 2, 8));
        assertTrue(e2.getMessage().contains("[2, 3, 3]") && e2.getMessage().contains("2x8"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> Fft.ifft2(Tensor.zeros(2, 3), Tensor.zeros(3, 2)));
        assertTrue(e3.getMessage().contains("ifft2") && e3.getMessage().contains("[3, 2]"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class,
                () -> Fft.fft2(Tensor.zeros(2, 3), Tensor.zeros(DType.FLOAT64, 2, 3)));
        assertTrue(e4.getMessage().contains("FLOAT64"), e4.getMessage());
        var e5 = assertThrows(IllegalArgumentException.class, () -> Fft.fft(new double[3], new double[4], false));
        assertTrue(e5.getMessage().contains("3") && e5.getMessage().contains("4"), e5.getMessage());
    }
}
