package dev.jacobi.core.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import org.junit.jupiter.api.Test;

class LinalgTest {
    static Tensor gaussian(Rng rng, int m, int n) {
        return Tensor.randn(rng, DType.FLOAT64, m, n);
    }

    static void assertOrthonormalColumns(Tensor q, double tol, String what) {
        int k = q.size(1);
        Tensor g = q.t().matmul(q);
        assertTrue(g.allClose(Tensor.eye(DType.FLOAT64, k), 0, tol), what + ": QᵀQ != I, got " + g);
    }

    static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertTrue(expected.allClose(actual, 0, tol), what + ": expected " + expected + " got " + actual);
    }

    /** diag(s) as a k×k float64 matrix. */
    static Tensor diag(Tensor s) {
        int k = s.size(0);
        return Tensor.eye(DType.FLOAT64, k).mul(s.reshape(1, k));
    }

    // ---------------------------------------------------------------- eigh

    @Test
    void eighReconstructsRandomSymmetric() {
        Rng rng = new Rng(10);
        for (int n : new int[] {1, 2, 3, 5, 20, 50}) {
            Tensor b = gaussian(rng, n, n);
            Tensor a = b.add(b.t());
            Linalg.Eigh e = Linalg.eigh(a);
            assertEquals(DType.FLOAT64, e.values().dtype());
            assertOrthonormalColumns(e.vectors(), 1e-12, "eigh n=" + n);
            Tensor rec = e.vectors().matmul(diag(e.values())).matmul(e.vectors().t());
            assertClose(a, rec, 1e-12 * n, "V diag(λ) Vᵀ n=" + n);
            double[] v = e.values().toDoubleArray();
            for (int i = 1; i < n; i++) {
                assertTrue(v[i - 1] <= v[i], "ascending at " + i);
            }
        }
    }

    @Test
    void eighKnownEigenvalues() {
        Linalg.Eigh e = Linalg.eigh(Tensor.of(new float[] {2, 1, 1, 2}, 2, 2)); // float32 input is accepted
        assertArrayEquals(new double[] {1, 3}, e.values().toDoubleArray(), 1e-14);
        assertEquals(Math.abs(e.vectors().get(0, 1)), Math.sqrt(0.5), 1e-14);
        // second-difference matrix: λ_k = 2 − 2·cos(kπ/(n+1))
        int n = 7;
        double[] t = new double[n * n];
        for (int i = 0; i < n; i++) {
            t[i * n + i] = 2;
            if (i + 1 < n) {
                t[i * n + i + 1] = t[(i + 1) * n + i] = -1;
            }
        }
        double[] want = new double[n];
        for (int k = 1; k <= n; k++) {
            want[k - 1] = 2 - 2 * Math.cos(k * Math.PI / (n + 1));
        }
        assertArrayEquals(want, Linalg.eigh(Tensor.of(t, n, n)).values().toDoubleArray(), 1e-13);
        // repeated eigenvalues and an already diagonal input
        Tensor d = Tensor.of(new double[] {3, 0, 0, 0, -1, 0, 0, 0, 3}, 3, 3);
        Linalg.Eigh de = Linalg.eigh(d);
        assertArrayEquals(new double[] {-1, 3, 3}, de.values().toDoubleArray(), 0);
        assertOrthonormalColumns(de.vectors(), 0, "diagonal input");
    }

    // ---------------------------------------------------------------- svd

    static void checkSvd(Tensor a, String what) {
        int m = a.size(0);
        int n = a.size(1);
        int k = Math.min(m, n);
        Linalg.Svd d = Linalg.svd(a);
        assertArrayEquals(new int[] {m, k}, d.u().shape(), what);
        assertArrayEquals(new int[] {k}, d.s().shape(), what);
        assertArrayEquals(new int[] {k, n}, d.vt().shape(), what);
        assertOrthonormalColumns(d.u(), 1e-12, what + " U");
        assertOrthonormalColumns(d.vt().t(), 1e-12, what + " V");
        double[] s = d.s().toDoubleArray();
        for (int i = 0; i < k; i++) {
            assertTrue(s[i] >= 0 && (i == 0 || s[i - 1] >= s[i]), what + ": s not descending " + d.s());
        }
        double scale = Math.max(1, s.length == 0 ? 0 : s[0]);
        assertClose(a.to(DType.FLOAT64), d.u().matmul(diag(d.s())).matmul(d.vt()), 1e-12 * scale, what + " USVᵀ");
        assertArrayEquals(s, Linalg.svdvals(a).toDoubleArray(), 1e-12 * scale, what + " svdvals");
    }

    @Test
    void svdTallWideSquareDeficientAndVectors() {
        Rng rng = new Rng(11);
        checkSvd(gaussian(rng, 9, 4), "tall");
        checkSvd(gaussian(rng, 3, 8), "wide");
        checkSvd(gaussian(rng, 6, 6), "square");
        checkSvd(gaussian(rng, 1, 5), "1x5");
        checkSvd(gaussian(rng, 5, 1), "5x1");
        checkSvd(gaussian(rng, 40, 30), "40x30");
        checkSvd(Tensor.randn(rng, 7, 5), "float32");
        Tensor rank2 = gaussian(rng, 7, 2).matmul(gaussian(rng, 2, 5));
        checkSvd(rank2, "rank 2");
        assertTrue(Linalg.svd(rank2).s().get(2) < 1e-13, "rank 2 has a third zero singular value");
        checkSvd(rank2.t(), "rank 2 transposed");
        checkSvd(Tensor.zeros(DType.FLOAT64, 3, 4), "zeros");
        Tensor dup = Tensor.of(new double[] {1, 2, 1, 2, 1, 2}, 3, 2);
        checkSvd(dup, "duplicate columns");
    }

    @Test
    void singularValuesAreRootsOfGramEigenvalues() {
        Rng rng = new Rng(12);
        for (int[] mn : new int[][] {{8, 5}, {5, 8}, {12, 12}}) {
            Tensor a = gaussian(rng, mn[0], mn[1]);
            Tensor gram = a.t().matmul(a); // n×n, eigenvalues σ² (plus n − k zeros)
            double[] lam = Linalg.eigh(gram).values().toDoubleArray();
            double[] s = Linalg.svdvals(a).toDoubleArray();
            for (int i = 0; i < s.length; i++) {
                assertEquals(Math.sqrt(Math.max(0, lam[lam.length - 1 - i])), s[i], 1e-9, "σ_" + i);
            }
            assertEquals(s[0], Linalg.spectralNorm(a), 0);
        }
        assertEquals(4, Linalg.spectralNorm(Tensor.of(new double[] {1, 0, 0, 0, -4, 0}, 2, 3)), 1e-15);
    }

    // ---------------------------------------------------------------- complex

    @Test
    void svdvalsComplexMatchesEmbeddingEigenvalues() {
        Rng rng = new Rng(13);
        int m = 6;
        int n = 4;
        Tensor re = gaussian(rng, m, n);
        Tensor im = gaussian(rng, m, n);
        double[] s = Linalg.svdvalsComplex(re, im).toDoubleArray();
        assertEquals(4, s.length);
        Tensor e = Tensor.cat(java.util.List.of(Tensor.cat(java.util.List.of(re, im.neg()), 1),
                Tensor.cat(java.util.List.of(im, re), 1)), 0);
        double[] lam = Linalg.eigh(e.t().matmul(e)).values().toDoubleArray(); // 8 values, each σ² twice
        for (int i = 0; i < n; i++) {
            assertEquals(lam[2 * n - 1 - 2 * i], lam[2 * n - 2 - 2 * i], 1e-10, "pair " + i);
            assertEquals(Math.sqrt(lam[2 * n - 1 - 2 * i]), s[i], 1e-10, "σ_" + i);
        }
        // a real matrix has the real singular values
        assertArrayEquals(Linalg.svdvals(re).toDoubleArray(), Linalg.svdvalsComplex(re, null).toDoubleArray(), 1e-12);
    }

    @Test
    void svdvalsComplexOfUnitaryTimesDiagonal() {
        // A = F_m · Σ · (D·F_n) with unitary DFT matrices F and unitary diagonal D: singular values Σ (incl. a repeat)
        int m = 4;
        int n = 6;
        double[] sig = {5, 3, 3, 0.5};
        double[][] fm = dftMatrix(m);
        double[][] fn = dftMatrix(n);
        double[] ar = new double[m * n];
        double[] ai = new double[m * n];
        for (int p = 0; p < m; p++) {
            for (int q = 0; q < n; q++) {
                for (int j = 0; j < m; j++) { // Σ is m×n with Σ[j][j] = sig[j]
                    double phase = 0.7 * j + 0.3; // D[j][j] = e^{i·phase}
                    double gr = Math.cos(phase) * fn[0][j * n + q] - Math.sin(phase) * fn[1][j * n + q];
                    double gi = Math.cos(phase) * fn[1][j * n + q] + Math.sin(phase) * fn[0][j * n + q];
                    double fr = fm[0][p * m + j] * sig[j];
                    double fi = fm[1][p * m + j] * sig[j];
                    ar[p * n + q] += fr * gr - fi * gi;
                    ai[p * n + q] += fr * gi + fi * gr;
                }
            }
        }
        Tensor re = Tensor.of(ar, m, n);
        Tensor im = Tensor.of(ai, m, n);
        assertArrayEquals(sig, Linalg.svdvalsComplex(re, im).toDoubleArray(), 1e-12);
        assertArrayEquals(sig, Linalg.svdvalsComplex(re.t(), im.t().neg()).toDoubleArray(), 1e-12, "Aᴴ");
        Tensor batchNorm = Linalg.spectralNormComplexBatch(re.unsqueeze(0), im.unsqueeze(0));
        assertArrayEquals(new int[] {1}, batchNorm.shape());
        assertEquals(5, batchNorm.get(0), 1e-9);
    }

    /** Unitary DFT matrix F[p][q] = e^{-2πi·pq/n}/√n as {re, im} row-major. */
    static double[][] dftMatrix(int n) {
        double[] re = new double[n * n];
        double[] im = new double[n * n];
        for (int p = 0; p < n; p++) {
            for (int q = 0; q < n; q++) {
                double a = -2 * Math.PI * (p * q % n) / n;
                re[p * n + q] = Math.cos(a) / Math.sqrt(n);
                im[p * n + q] = Math.sin(a) / Math.sqrt(n);
            }
        }
        return new double[][] {re, im};
    }

    @Test
    void spectralNormComplexBatchMatchesSvdvals() {
        Rng rng = new Rng(14);
        Tensor re = Tensor.randn(rng, 3, 2, 6, 5);
        Tensor im = Tensor.randn(rng, 3, 2, 6, 5);
        Tensor norms = Linalg.spectralNormComplexBatch(re, im);
        assertArrayEquals(new int[] {3, 2}, norms.shape());
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 2; b++) {
                double want = Linalg.svdvalsComplex(re.select(0, a).select(0, b), im.select(0, a).select(0, b)).get(0);
                assertEquals(want, norms.get(a, b), 1e-7 * want, "matrix " + a + "," + b);
            }
        }
        assertEquals(0, Linalg.spectralNormComplexBatch(Tensor.zeros(2, 3), null).item(), 0);
    }

    // ---------------------------------------------------------------- qr

    static void checkQr(Tensor a, String what) {
        int m = a.size(0);
        int n = a.size(1);
        int k = Math.min(m, n);
        Linalg.Qr d = Linalg.qr(a);
        assertArrayEquals(new int[] {m, k}, d.q().shape(), what);
        assertArrayEquals(new int[] {k, n}, d.r().shape(), what);
        assertOrthonormalColumns(d.q(), 1e-12, what);
        for (int i = 0; i < k; i++) {
            assertTrue(d.r().get(i, i) >= 0, what + ": negative diagonal at " + i);
            for (int j = 0; j < i; j++) {
                assertEquals(0, d.r().get(i, j), 0, what + ": R not upper triangular at " + i + "," + j);
            }
        }
        assertClose(a.to(DType.FLOAT64), d.q().matmul(d.r()), 1e-12 * Math.max(1, m), what + " QR");
    }

    @Test
    void qrTallWideSquareAndDeficient() {
        Rng rng = new Rng(15);
        checkQr(gaussian(rng, 8, 5), "tall");
        checkQr(gaussian(rng, 4, 7), "wide");
        checkQr(gaussian(rng, 6, 6), "square");
        checkQr(Tensor.randn(rng, 5, 3), "float32");
        checkQr(gaussian(rng, 1, 1).neg().abs().neg(), "1x1 negative");
        Tensor withZeroColumn = Tensor.cat(java.util.List.of(gaussian(rng, 5, 1), Tensor.zeros(DType.FLOAT64, 5, 1),
                gaussian(rng, 5, 2)), 1);
        checkQr(withZeroColumn, "zero column");
        // positive diagonal makes the factorisation unique: Q of an already orthonormal-upper product is recovered
        Linalg.Qr first = Linalg.qr(gaussian(rng, 6, 4));
        Tensor r = Tensor.of(new double[] {2, 1, 0, 0, 0, 3, -1, 0, 0, 0, 1, 5, 0, 0, 0, 4}, 4, 4);
        Linalg.Qr again = Linalg.qr(first.q().matmul(r));
        assertClose(first.q(), again.q(), 1e-12, "unique Q");
        assertClose(r, again.r(), 1e-12, "unique R");
    }

    @Test
    void inverseTimesMatrixIsTheIdentityInEachBatchEntryAndKeepsTheDtype() {
        Rng rng = new Rng(12);
        Tensor a = Tensor.randn(rng, DType.FLOAT64, 3, 5, 5);
        Tensor inv = Linalg.inv(a);
        assertEquals(DType.FLOAT64, inv.dtype());
        for (int b = 0; b < 3; b++) {
            assertClose(Tensor.eye(DType.FLOAT64, 5), a.select(0, b).matmul(inv.select(0, b)), 1e-10, "A·A⁻¹ " + b);
        }
        // a zero leading pivot needs the row swap
        Tensor swap = Tensor.of(new double[] {0, 1, 2, 3}, 2, 2);
        assertClose(Tensor.of(new double[] {-1.5, 0.5, 1, 0}, 2, 2), Linalg.inv(swap), 1e-15, "pivoting");
        Tensor f = Tensor.randn(rng, 4, 4).add(Tensor.eye(DType.FLOAT32, 4).mul(4));
        assertEquals(DType.FLOAT32, Linalg.inv(f).dtype());
        assertMessage(() -> Linalg.inv(Tensor.of(new double[] {1, 2, 2, 4}, 2, 2)), "linalg.inv", "singular",
                "column 1");
        assertMessage(() -> Linalg.inv(Tensor.zeros(2, 3)), "linalg.inv", "square", "[2, 3]");
    }

    // ---------------------------------------------------------------- errors

    static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void errorsNameTheOpAndValues() {
        assertMessage(() -> Linalg.eigh(Tensor.zeros(2, 3)), "eigh", "square", "[2, 3]");
        assertMessage(() -> Linalg.eigh(Tensor.of(new double[] {1, 2, 3, 4}, 2, 2)), "eigh", "not symmetric", "2.0", "3.0");
        assertMessage(() -> Linalg.svd(Tensor.zeros(2, 3, 4)), "svd", "2-D", "[2, 3, 4]");
        assertMessage(() -> Linalg.qr(Tensor.zeros(4)), "qr", "[4]");
        assertMessage(() -> Linalg.svdvals(Tensor.of(new double[] {1, Double.NaN}, 1, 2)), "svdvals", "NaN", "[0, 1]");
        assertMessage(() -> Linalg.svdvalsComplex(Tensor.zeros(2, 3), Tensor.zeros(3, 2)), "svdvalsComplex", "[2, 3]", "[3, 2]");
        assertMessage(() -> Linalg.spectralNormComplexBatch(Tensor.zeros(3), null), "spectralNormComplexBatch", "[3]");
        assertMessage(() -> Linalg.spectralNorm(null), "spectralNorm", "null");
    }
}
