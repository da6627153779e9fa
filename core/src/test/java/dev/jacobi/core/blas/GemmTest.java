package dev.jacobi.core.blas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jacobi.core.Rng;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.ScalarKernels;
import dev.jacobi.core.kernel.VectorKernels;
import dev.jacobi.core.kernel.Workers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GemmTest {
    private static final int[] SIZES = {1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129, 300};
    private static final float[][] ALPHA_BETA = {{1, 0}, {0.5f, 1}, {-1.5f, 0.25f}, {2, 0}, {1, -1}};

    /** Mixed shapes: every size appears as m, n and k, plus a few blocking and GEMV edge cases. */
    private static List<int[]> shapes() {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < SIZES.length; i++) {
            out.add(new int[] {SIZES[i], SIZES[(i + 5) % SIZES.length], SIZES[(i + 9) % SIZES.length]});
            out.add(new int[] {SIZES[(i + 3) % SIZES.length], SIZES[i], SIZES[(i + 11) % SIZES.length]});
        }
        out.add(new int[] {65, 300, Gemm.KC_NARROW + 44});   // packed B, k spans two blocks of either depth
        out.add(new int[] {37, 700, 20});    // two NC blocks
        out.add(new int[] {300, 17, 9});     // tiny k, as in im2col convolutions
        out.add(new int[] {1, 700, 33});     // GEMV, axpy and dot forms
        out.add(new int[] {33, 1, 40});
        out.add(new int[] {5, 129, 1});
        out.add(new int[] {128, 10, 70});    // narrow C: dot form, or computed as its transpose (classifier logits)
        out.add(new int[] {150, 5, 600});    // narrow C, m not a multiple of the dot kernel's 4 rows
        out.add(new int[] {11, 700, 200});   // two row tiles: B read in place, not packed
        out.add(new int[] {97, 23, Gemm.KC_NARROW + 5});
        return out;
    }

    private static float[] randomArray(Rng rng, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    /** A GEMM problem with random padding: offsets and leading dims above the minimum. */
    private record Problem(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta,
                           float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] c, int co, int ldc) {
        static Problem random(Rng rng, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta) {
            int lda = (ta ? m : k) + rng.nextInt(4);
            int ldb = (tb ? k : n) + rng.nextInt(4);
            int ldc = n + rng.nextInt(4);
            int ao = rng.nextInt(5);
            int bo = rng.nextInt(5);
            int co = rng.nextInt(5);
            float[] a = randomArray(rng, ao + (ta ? k : m) * lda);
            float[] b = randomArray(rng, bo + (tb ? n : k) * ldb);
            float[] c = beta == 0 ? new float[co + m * ldc] : randomArray(rng, co + m * ldc);
            if (beta == 0) {
                Arrays.fill(c, Float.NaN);
            }
            return new Problem(ta, tb, m, n, k, alpha, beta, a, ao, lda, b, bo, ldb, c, co, ldc);
        }

        float[] run(GemmKernel kr, Kernels kn) {
            float[] out = c.clone();
            Gemm.sgemm(kr, kn, ta, tb, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, out, co, ldc);
            return out;
        }

        double opA(int i, int p) {
            return a[ao + (ta ? p * lda + i : i * lda + p)];
        }

        double opB(int p, int j) {
            return b[bo + (tb ? j * ldb + p : p * ldb + j)];
        }

        /** Checks {@code got} against a naive double-precision loop, with a tolerance scaled by k. */
        void verify(float[] got, String what) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    double mag = 0;
                    for (int p = 0; p < k; p++) {
                        s += opA(i, p) * opB(p, j);
                        mag += Math.abs(opA(i, p) * opB(p, j));
                    }
                    int o = co + i * ldc + j;
                    double old = beta == 0 ? 0 : c[o];
                    double want = alpha * s + beta * old;
                    double tol = 2e-7 * (k + 4) * (Math.abs(alpha) * mag + Math.abs(beta * old)) + 1e-30;
                    if (!(Math.abs(got[o] - want) <= tol)) {
                        fail(what + ": C[" + i + "," + j + "] = " + got[o] + ", want " + want + " (tol " + tol + ")");
                    }
                }
            }
            // padding between rows and around C must be untouched
            for (int o = 0; o < c.length; o++) {
                int r = o - co;
                if (r < 0 || r >= m * ldc || r % ldc >= n) {
                    assertEquals(Float.floatToRawIntBits(c[o]), Float.floatToRawIntBits(got[o]), what + ": wrote C[" + o + "]");
                }
            }
        }
    }

    private static void checkAllShapes(GemmKernel kr, Kernels kn) {
        Rng rng = new Rng(42);
        int run = 0;
        for (int[] s : shapes()) {
            for (int t = 0; t < 4; t++) {
                float[] ab = ALPHA_BETA[run++ % ALPHA_BETA.length];
                Problem pr = Problem.random(rng, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], ab[0], ab[1]);
                pr.verify(pr.run(kr, kn), kr.describe() + " " + Arrays.toString(s) + " transA=" + pr.ta
                        + " transB=" + pr.tb + " alpha=" + ab[0] + " beta=" + ab[1]);
            }
        }
    }

    @Test
    void vectorKernelMatchesNaiveLoop() {
        assumeTrue(Backend.vectorized(), "the Vector API kernels need --add-modules jdk.incubator.vector");
        checkAllShapes(new VectorGemmKernel(), new VectorKernels());
    }

    /**
     * The gathered tile and the narrow product of the convolutions, against naive loops: A by row bases and step,
     * B by a row table (or stride), n around the vector width, m not a multiple of the row block.
     */
    private static void checkGathered(GemmKernel kr) {
        Rng rng = new Rng(8);
        int mr = kr.mr();
        int nr = kr.nr();
        float[] a = randomArray(rng, 4000);
        float[] b = randomArray(rng, 4000);
        for (int t = 0; t < 40; t++) {
            int kc = 1 + rng.nextInt(40);
            int aStep = t % 2 == 0 ? mr : 1;
            int[] aRows = new int[mr];
            for (int r = 0; r < mr; r++) {
                aRows[r] = rng.nextInt(4000 - kc * aStep);
            }
            int[] bRows = new int[44];
            for (int p = 0; p < bRows.length; p++) {
                bRows[p] = rng.nextInt(3000);
            }
            boolean table = t % 3 != 0;
            // rows of a packed B at the kernel's packed stride take the packed bodies, any other stride the general one
            int bRs = t % 3 == 0 && t % 4 < 2 ? kr.packedStride() : 30;
            int br = rng.nextInt(4);
            int ldc = nr + rng.nextInt(3);
            float beta = t % 4 == 0 ? 0f : 0.5f;
            float[] c = randomArray(rng, mr * ldc);
            float[] got = c.clone();
            // a ragged tile leaves the other columns alone
            int cols = t % 5 == 1 ? nr / 2 : t % 5 == 3 ? 1 + rng.nextInt(nr) : nr;
            int rows = t < 6 ? mr : 1 + rng.nextInt(mr); // the first rows only: the others are left alone
            kr.tileGather(kc, a, aRows, aStep, b, 7, bRs, table ? bRows : null, br, 1.5f, beta, got, 0, ldc, rows,
                    cols);
            for (int r = 0; r < mr; r++) {
                for (int j = r < rows ? cols : 0; j < ldc; j++) {
                    assertEquals(c[r * ldc + j], got[r * ldc + j], kr.describe() + " tileGather wrote " + r + "," + j);
                }
                if (r >= rows) {
                    continue;
                }
                for (int j = 0; j < cols; j++) {
                    double s = 0;
                    for (int p = 0; p < kc; p++) {
                        s += (double) a[aRows[r] + p * aStep] * b[7 + (table ? bRows[br + p] : p * bRs) + j];
                    }
                    double want = 1.5 * s + (beta == 0 ? 0 : beta * c[r * ldc + j]);
                    assertEquals(want, got[r * ldc + j], 1e-5 * (kc + 1) * (1 + Math.abs(want)),
                            kr.describe() + " tileGather case " + t + " at " + r + "," + j);
                }
            }
            int m = 1 + rng.nextInt(19);
            int n = 1 + rng.nextInt(50);
            int k = 1 + rng.nextInt(20);
            float[] bias = t % 2 == 0 ? null : randomArray(rng, m + 2);
            int lda = k + rng.nextInt(3);
            int h = 1 + rng.nextInt(3);
            int bStep = rng.nextInt(300);
            int cStep = n + 2;
            int ldn = h * cStep + 1;
            float[] cn = new float[m * ldn + 1];
            Arrays.fill(cn, Float.NaN);
            kr.narrow(m, h, n, k, a, 5, lda, b, 3, bStep, bRows, bias, 2, cn, 1, cStep, ldn);
            for (int r = 0; r < m; r++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < cStep; j++) {
                        float v = cn[1 + r * ldn + i * cStep + j];
                        if (j >= n) {
                            assertTrue(Float.isNaN(v), kr.describe() + " narrow wrote past n at " + r + "," + i + ","
                                    + j);
                            continue;
                        }
                        double s = bias == null ? 0 : bias[2 + r];
                        for (int p = 0; p < k; p++) {
                            s += (double) a[5 + r * lda + p] * b[3 + i * bStep + bRows[p] + j];
                        }
                        assertEquals(s, v, 1e-5 * (k + 1) * (1 + Math.abs(s)), kr.describe() + " narrow m=" + m
                                + " h=" + h + " n=" + n + " k=" + k + " at " + r + "," + i + "," + j);
                    }
                }
            }
        }
    }

    @Test
    void gatheredTilesAndNarrowProductsMatchNaiveLoops() {
        if (Backend.vectorized()) {
            checkGathered(new VectorGemmKernel());
        }
        checkGathered(new ScalarGemmKernel());
    }

    /**
     * The packed panels of a transposed operand, against the definition: every element, the zero padding, and nothing
     * written outside the panel, for rows and depths on and off multiples of the register blocks (8×8 with 8 lanes,
     * 16×16 with 16).
     */
    @Test
    void transposedPanelsMatchTheDefinition() {
        Rng rng = new Rng(5);
        for (GemmKernel kr : bothKernels()) {
            // {rows, kc, cols, w}: columns from cols to w (the padding of a packed B row) are left alone
            for (int[] s : new int[][] {{8, 8, 8, 8}, {16, 24, 64, 64}, {13, 37, 16, 16}, {64, 512, 64, 64},
                    {3, 5, 8, 8}, {24, 9, 48, 48}, {24, 40, 24, 32}, {5, 9, 8, 16}}) {
                int rows = s[0], kc = s[1], cols = s[2], w = s[3], ld = kc + 3, s0 = 2, off = 5;
                float[] src = new float[s0 + rows * ld];
                for (int i = 0; i < src.length; i++) {
                    src[i] = (float) rng.nextGaussian();
                }
                float[] dst = new float[off + kc * w + 4];
                Arrays.fill(dst, Float.NaN);
                kr.packTransposed(src, s0, ld, kc, rows, cols, w, dst, off);
                for (int i = 0; i < dst.length; i++) {
                    int p = (i - off) / w, j = (i - off) % w;
                    float want = i < off || p >= kc || j >= cols ? Float.NaN : j < rows ? src[s0 + j * ld + p] : 0f;
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(dst[i]),
                            kr.describe() + " " + Arrays.toString(s) + ": dst[" + i + "]");
                }
            }
        }
    }

    /**
     * The panels of a plain operand packed row by row, against the definition: every element, the zero padding of a
     * narrower last panel, and nothing written between {@code nr} and the stride {@code w} or outside the panels, for
     * column counts on and off multiples of the tile.
     */
    @Test
    void rowPanelsMatchTheDefinition() {
        Rng rng = new Rng(6);
        for (GemmKernel kr : bothKernels()) {
            int nr = kr.nr();
            // {kc, cols, w}
            for (int[] s : new int[][] {{1, nr, nr}, {7, 3 * nr, kr.packedStride()}, {5, 2 * nr + 5, kr.packedStride()},
                    {3, nr - 1, nr + 8}, {9, 1, nr}}) {
                int kc = s[0], cols = s[1], w = s[2], ld = cols + 7, s0 = 3, off = 5;
                int panels = (cols + nr - 1) / nr;
                float[] src = new float[s0 + kc * ld];
                for (int i = 0; i < src.length; i++) {
                    src[i] = (float) rng.nextGaussian();
                }
                float[] dst = new float[off + panels * kc * w + 4];
                Arrays.fill(dst, Float.NaN);
                kr.packRows(src, s0, ld, kc, cols, w, dst, off);
                for (int i = 0; i < dst.length; i++) {
                    int t = (i - off) / (kc * w), p = (i - off) % (kc * w) / w, j = (i - off) % w;
                    int col = t * nr + j;
                    float want = i < off || t >= panels || j >= nr ? Float.NaN
                            : col < cols ? src[s0 + p * ld + col] : 0f;
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(dst[i]),
                            kr.describe() + " " + Arrays.toString(s) + ": dst[" + i + "]");
                }
            }
        }
    }

    /** The plain-Java kernel, and the Vector API one where this JVM has it. */
    private static List<GemmKernel> bothKernels() {
        List<GemmKernel> kernels = new ArrayList<>(List.of(new ScalarGemmKernel()));
        if (Backend.vectorized()) {
            kernels.add(new VectorGemmKernel());
        }
        return kernels;
    }

    @Test
    void scalarTwinMatchesNaiveLoop() {
        checkAllShapes(new ScalarGemmKernel(), new ScalarKernels());
    }

    @Test
    void publicEntryMatchesNaiveLoopAndSkipsOperandsWhenAlphaOrKIsZero() {
        Rng rng = new Rng(7);
        Problem pr = Problem.random(rng, false, true, 70, 90, 50, 1, 0);
        float[] got = pr.c.clone();
        Gemm.sgemm(pr.ta, pr.tb, pr.m, pr.n, pr.k, pr.alpha, pr.a, pr.ao, pr.lda, pr.b, pr.bo, pr.ldb,
                pr.beta, got, pr.co, pr.ldc);
        pr.verify(got, "Gemm.sgemm");
        // alpha == 0 scales C only, so NaN in A does not leak; k == 0 likewise
        float[] a = {Float.NaN, 1, 1, 1};
        float[] c = {1, 2, 3, 4};
        Gemm.sgemm(false, false, 2, 2, 2, 0f, a, 0, 2, a, 0, 2, 2f, c, 0, 2);
        assertArrayEquals(new float[] {2, 4, 6, 8}, c);
        Gemm.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 0f, c, 0, 2);
        assertArrayEquals(new float[4], c);
    }

    @Test
    void narrowOutputsAreComputedTransposedOnlyWhenThatFillsTheTiles() {
        // the active kernel: the Vector API one, or without it the plain-Java twin
        GemmKernel active = Gemm.KERNEL;
        int narrow = active.nr() / 3; // 21 logits on AVX-512's 64-column tile, 8 on AVX2's 24
        assertTrue(active.nr() < 16 || Gemm.transposeFills(active, 128, narrow),
                active.describe() + ": 128 x " + narrow);
        for (GemmKernel kr : List.of(active, new ScalarGemmKernel())) {
            assertFalse(Gemm.transposeFills(kr, 128, 512), kr.describe() + ": 128 x 512");
            assertFalse(Gemm.transposeFills(kr, 4, kr.nr() - 1), kr.describe() + ": 4 x " + (kr.nr() - 1));
        }
    }

    @Test
    void resultBitsDoNotDependOnThreadCount() {
        int saved = Workers.threads();
        try {
            Rng rng = new Rng(3);
            // {192, 192, 100} has 3 column tiles, which 2 threads split by rows instead; {64, 64, 64} and
            // {70, 48, 64} are just above the work that 2 threads share
            int[][] shapes = {{200, 300, 270}, {300, 150, 40}, {1, 3000, 200}, {3000, 1, 200}, {128, 784, 64},
                {192, 192, 100}, {128, 512, Gemm.KC_NARROW + 272}, {512, 10, 128}, {64, 64, 64}, {70, 48, 64}};
            for (int[] s : shapes) {
                for (int t = 0; t < 4; t++) {
                    Problem pr = Problem.random(rng, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 0.75f, 0.5f);
                    Workers.setThreads(1);
                    float[] one = pr.run(Gemm.KERNEL, Backend.KERNELS);
                    Workers.setThreads(2);
                    float[] two = pr.run(Gemm.KERNEL, Backend.KERNELS);
                    assertArrayEquals(one, two, Arrays.toString(s) + " trans " + t);
                    double[] d1 = dgemmRun(pr, 1);
                    double[] d2 = dgemmRun(pr, 2);
                    assertArrayEquals(d1, d2, "dgemm " + Arrays.toString(s) + " trans " + t);
                }
            }
        } finally {
            Workers.setThreads(saved);
        }
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    private static double[] dgemmRun(Problem pr, int threads) {
        Workers.setThreads(threads);
        double[] c = toDouble(pr.c);
        Gemm.dgemm(pr.ta, pr.tb, pr.m, pr.n, pr.k, pr.alpha, toDouble(pr.a), pr.ao, pr.lda, toDouble(pr.b), pr.bo,
                pr.ldb, pr.beta, c, pr.co, pr.ldc);
        return c;
    }

    @Test
    void dgemmMatchesNaiveLoop() {
        Rng rng = new Rng(11);
        int run = 0;
        for (int[] s : new int[][] {{1, 7, 300}, {17, 1, 3}, {33, 65, 300}, {129, 31, 16}, {3, 300, 2}}) {
            for (int t = 0; t < 4; t++) {
                float[] ab = ALPHA_BETA[run++ % ALPHA_BETA.length];
                Problem pr = Problem.random(rng, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], ab[0], ab[1]);
                double[] got = toDouble(pr.c);
                double[] ad = toDouble(pr.a);
                double[] bd = toDouble(pr.b);
                Gemm.dgemm(pr.ta, pr.tb, pr.m, pr.n, pr.k, pr.alpha, ad, pr.ao, pr.lda, bd, pr.bo, pr.ldb, pr.beta,
                        got, pr.co, pr.ldc);
                for (int i = 0; i < pr.m; i++) {
                    for (int j = 0; j < pr.n; j++) {
                        double sum = 0;
                        for (int p = 0; p < pr.k; p++) {
                            sum += pr.opA(i, p) * pr.opB(p, j);
                        }
                        int o = pr.co + i * pr.ldc + j;
                        double want = pr.alpha * sum + (pr.beta == 0 ? 0 : pr.beta * pr.c[o]);
                        assertEquals(want, got[o], 1e-12 * (pr.k + 1) * (1 + Math.abs(want)),
                                "dgemm " + Arrays.toString(s) + " trans " + t + " at " + i + "," + j);
                    }
                }
            }
        }
    }

    @Test
    void badArgumentsNameTheOpAndValues() {
        float[] x = new float[12];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 3, 4, 2, 1f, x, 0, 1, x, 0, 4, 0f, x, 0, 4));
        assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("ld 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 3, 4, 2, 1f, x, 0, 2, x, 0, 4, 0f, x, 1, 4));
        assertTrue(e.getMessage().contains("C") && e.getMessage().contains("13"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.dgemm(false, false, -1, 4, 2, 1, new double[8], 0, 2, new double[8], 0, 4, 0, null, 0, 4));
        assertTrue(e.getMessage().contains("dgemm") && e.getMessage().contains("m=-1"), e.getMessage());
    }

    /** Under the build's runs with 256-bit vectors forced (core/pom.xml), the kernel has the tile they ask for. */
    @Test
    void theKernelRunsTheTileItWasAskedFor() {
        String tile = System.getProperty("jacobi.gemm.tile");
        assumeTrue(tile != null && Gemm.KERNEL instanceof VectorGemmKernel
                && VectorKernels.floatSpecies().length() == 8, "runs with -Djacobi.gemm.tile and 8-lane vectors only");
        assertEquals("Vector API " + tile.trim() + ", FloatVector 256 bits", Gemm.KERNEL.describe());
    }

    @Test
    void theEightLaneTileFollowsThePropertyOrElseTheJdk() {
        assertEquals("3x24", Gemm.eightLaneTile(null, 17));
        assertEquals("3x24", Gemm.eightLaneTile(" ", 21));
        assertEquals("4x24", Gemm.eightLaneTile(null, 25));
        assertEquals("4x16", Gemm.eightLaneTile("4x16", 25));
        assertEquals("3x24", Gemm.eightLaneTile("3x24", 25));
        assertEquals("4x24", Gemm.eightLaneTile(" 4x24 ", 17));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gemm.eightLaneTile("6x16", 17));
        assertTrue(e.getMessage().contains("jacobi.gemm.tile") && e.getMessage().contains("6x16"), e.getMessage());
    }
}
