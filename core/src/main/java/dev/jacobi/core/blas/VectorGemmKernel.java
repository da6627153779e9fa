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
     * Eight rows at a time, one vector of columns at a time; a ragged last vector is computed again ending at
     * {@code n}, which rewrites the same values, so no masks are needed unless {@code n < L}.
     */
    @Override
    public void narrow(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int[] bRows,
                       float[] bias, int bOff, float[] c, int co, int ldc) {
        if (n < L) {
            GemmKernel.super.narrow(m, n, k, a, ao, lda, b, bo, bRows, bias, bOff, c, co, ldc);
            return;
        }
        for (int j = 0; j < n; j += L) {
            int j0 = Math.min(j, n - L);
            for (int r0 = 0; r0 < m; r0 += 8) {
                int last = m - 1;
                int r1 = Math.min(r0 + 1, last), r2 = Math.min(r0 + 2, last), r3 = Math.min(r0 + 3, last);
                int r4 = Math.min(r0 + 4, last), r5 = Math.min(r0 + 5, last), r6 = Math.min(r0 + 6, last);
                int r7 = Math.min(r0 + 7, last);
                int q0 = ao + r0 * lda, q1 = ao + r1 * lda, q2 = ao + r2 * lda, q3 = ao + r3 * lda;
                int q4 = ao + r4 * lda, q5 = ao + r5 * lda, q6 = ao + r6 * lda, q7 = ao + r7 * lda;
                FloatVector s0 = init(bias, bOff, r0), s1 = init(bias, bOff, r1), s2 = init(bias, bOff, r2);
                FloatVector s3 = init(bias, bOff, r3), s4 = init(bias, bOff, r4), s5 = init(bias, bOff, r5);
                FloatVector s6 = init(bias, bOff, r6), s7 = init(bias, bOff, r7);
                for (int p = 0; p < k; p++) {
                    FloatVector v = FloatVector.fromArray(F, b, bo + bRows[p] + j0);
                    s0 = FloatVector.broadcast(F, a[q0 + p]).fma(v, s0);
                    s1 = FloatVector.broadcast(F, a[q1 + p]).fma(v, s1);
                    s2 = FloatVector.broadcast(F, a[q2 + p]).fma(v, s2);
                    s3 = FloatVector.broadcast(F, a[q3 + p]).fma(v, s3);
                    s4 = FloatVector.broadcast(F, a[q4 + p]).fma(v, s4);
                    s5 = FloatVector.broadcast(F, a[q5 + p]).fma(v, s5);
                    s6 = FloatVector.broadcast(F, a[q6 + p]).fma(v, s6);
                    s7 = FloatVector.broadcast(F, a[q7 + p]).fma(v, s7);
                }
                int o = co + j0;
                // rows past m were clamped to m - 1: storing them again rewrites row m - 1 with the same values
                s0.intoArray(c, o + r0 * ldc); s1.intoArray(c, o + r1 * ldc);
                s2.intoArray(c, o + r2 * ldc); s3.intoArray(c, o + r3 * ldc);
                s4.intoArray(c, o + r4 * ldc); s5.intoArray(c, o + r5 * ldc);
                s6.intoArray(c, o + r6 * ldc); s7.intoArray(c, o + r7 * ldc);
            }
        }
    }

    private static FloatVector init(float[] bias, int bOff, int r) {
        return bias == null ? FloatVector.zero(F) : FloatVector.broadcast(F, bias[bOff + r]);
    }
}
