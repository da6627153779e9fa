package dev.jacobi.core.blas;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API GEMM micro-kernel: a 6×4L tile with 16 lanes (4 vectors of the species' L lanes per row, so 6×64 floats
 * with AVX-512) or a 4×3L tile with fewer (4×24 floats with AVX2), kept in accumulator registers and updated by
 * broadcast-A × vector-B FMAs. Loaded by name from {@link Backend#load} so that the library still links without
 * {@code jdk.incubator.vector}.
 */
public final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Float> F = VectorKernels.floatSpecies();
    private static final int L = F.length();
    /**
     * Four vectors of columns with 16 lanes (6×64 floats in 24 of AVX-512's 32 registers); three with fewer lanes, so
     * that with AVX2's 16 registers the 4×24 tile's 12 accumulators, 3 loads of B and a broadcast of A stay in
     * registers. The 4×24 tile needs 7 loads per 12 FMAs where AVX2's 6×16 needed 8, and ran at 97 GFLOP/s on one
     * thread against 83 for 6×16 (JDK 25, AMD EPYC with {@code -XX:UseAVX=2}, FMA peak 112).
     */
    private static final boolean WIDE = L >= 16;
    private static final int MR = WIDE ? 6 : 4;
    private static final int NR = WIDE ? 4 * L : 3 * L;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[MR * NR]);

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public String describe() {
        return "Vector API " + MR + "x" + NR + ", FloatVector " + F.vectorBitSize() + " bits";
    }

    @Override
    public void tile(int kc, float[] a, int ao, float[] b, int bo, int bRs, float alpha, float beta, float[] c,
                     int co, int ldc, int rows) {
        run(kc, a, ao, ao + 1, ao + 2, ao + 3, ao + 4, ao + 5, MR, b, bo, bRs, null, 0, alpha, beta, c, co, ldc, rows,
                NR);
    }

    @Override
    public void tileGather(int kc, float[] a, int[] aRows, int aStep, float[] b, int bo, int bRs, int[] bRows,
                           int br, float alpha, float beta, float[] c, int co, int ldc, int rows, int cols) {
        run(kc, a, aRows[0], aRows[1], aRows[2], aRows[3], WIDE ? aRows[4] : 0, WIDE ? aRows[5] : 0, aStep, b, bo,
                bRs, bRows, br, alpha, beta, c, co, ldc, rows, cols);
    }

    /**
     * The product goes straight to C when {@code alpha = 1}, {@code beta = 0} and the tile has all the rows and columns
     * of the body that computes it; otherwise to a per-thread tile that {@link #combine} then folds into C. A ragged
     * tile of at most 2L columns runs on a 2-vector body. Keeping alpha and beta out of the bodies keeps them small
     * enough for C1 to compile (a JIT tier the JVM falls back to after a deoptimisation) and their stores inlined by
     * C2 (when C2 stopped inlining a store helper, the accumulators passed to it were boxed on the heap). With 16
     * lanes, a full-width tile of at most 4 rows runs on a 4- or 2-row body, so the last rows of an output that is not
     * a multiple of 6 rows (64, 128, 256) do not cost a whole tile.
     */
    private static void run(int kc, float[] a, int a0, int a1, int a2, int a3, int a4, int a5, int as, float[] b,
                            int bo, int bRs, int[] bRows, int br, float alpha, float beta, float[] c, int co, int ldc,
                            int rows, int cols) {
        boolean twoVectors = cols <= 2 * L;
        int width = twoVectors ? 2 * L : NR;
        int height = !WIDE || twoVectors || rows > 4 ? MR : rows > 2 ? 4 : 2;
        boolean direct = alpha == 1f && beta == 0f && rows == height && cols == width;
        float[] t = direct ? c : SCRATCH.get();
        int to = direct ? co : 0;
        int tl = direct ? ldc : NR;
        if (!WIDE) {
            if (twoVectors) {
                VectorGemmBodies.body4x2(kc, a, a0, a1, a2, a3, as, b, bo, bRs, bRows, br, t, to, tl);
            } else {
                VectorGemmBodies.body4x3(kc, a, a0, a1, a2, a3, as, b, bo, bRs, bRows, br, t, to, tl);
            }
        } else if (twoVectors) {
            VectorGemmBodies.body6x2(kc, a, a0, a1, a2, a3, a4, a5, as, b, bo, bRs, bRows, br, t, to, tl);
        } else if (height == MR) {
            VectorGemmBodies.body6x4(kc, a, a0, a1, a2, a3, a4, a5, as, b, bo, bRs, bRows, br, t, to, tl);
        } else if (height == 4) {
            VectorGemmBodies.body4x4(kc, a, a0, a1, a2, a3, as, b, bo, bRs, bRows, br, t, to, tl);
        } else {
            VectorGemmBodies.body2x4(kc, a, a0, a1, as, b, bo, bRs, bRows, br, t, to, tl);
        }
        if (!direct) {
            combine(t, rows, cols, alpha, beta, c, co, ldc);
        }
    }

    /**
     * {@code C = alpha·t + beta·C} over {@code rows} rows of {@code cols} columns, as {@link GemmKernel#combine}: whole
     * vectors, then the ragged end one element at a time.
     */
    private static void combine(float[] t, int rows, int cols, float alpha, float beta, float[] c, int co, int ldc) {
        int whole = cols / L * L;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < whole; j += L) {
                FloatVector v = FloatVector.fromArray(F, t, r * NR + j);
                if (alpha != 1f) {
                    v = v.mul(alpha);
                }
                int o = co + r * ldc + j;
                if (beta == 0f) {
                    v.intoArray(c, o);
                } else if (beta == 1f) {
                    v.add(FloatVector.fromArray(F, c, o)).intoArray(c, o);
                } else {
                    v.add(FloatVector.fromArray(F, c, o).mul(beta)).intoArray(c, o);
                }
            }
            for (int j = whole; j < cols; j++) {
                int o = co + r * ldc + j;
                c[o] = GemmKernel.combine(t[r * NR + j], alpha, beta, c[o]);
            }
        }
    }

    /**
     * Eight rows at a time with 32 registers (four with 16), two vectors of columns at a time ({@code narrowR} of
     * {@link VectorGemmBodies}); needs {@code n ≥ L}, else the reference runs.
     */
    @Override
    public void narrow(int m, int h, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int bStep,
                       int[] bRows, float[] bias, int bOff, float[] c, int co, int cStep, int ldc) {
        if (n < L) {
            GemmKernel.super.narrow(m, h, n, k, a, ao, lda, b, bo, bStep, bRows, bias, bOff, c, co, cStep, ldc);
            return;
        }
        for (int r0 = 0; r0 < m; r0 += WIDE ? 8 : 4) {
            int rows = m - r0;
            if (WIDE) {
                VectorGemmBodies.narrow8(Math.min(8, rows), h, n, k, a, ao + r0 * lda, lda, b, bo, bStep, bRows,
                        bias, bOff + r0, c, co + r0 * ldc, cStep, ldc);
            } else {
                VectorGemmBodies.narrow4(Math.min(4, rows), h, n, k, a, ao + r0 * lda, lda, b, bo, bStep, bRows,
                        bias, bOff + r0, c, co + r0 * ldc, cStep, ldc);
            }
        }
    }
}
