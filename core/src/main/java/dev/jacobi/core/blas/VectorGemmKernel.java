package dev.jacobi.core.blas;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API GEMM micro-kernel: an 6×4L tile (4 vectors of the species' L lanes per row, so 6×(4·16)
 * floats with AVX-512) kept in 24 accumulator registers and updated by broadcast-A × vector-B FMAs. Loaded by name
 * from {@link Backend#load} so that the library still links without {@code jdk.incubator.vector}.
 */
public final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Float> F = VectorKernels.floatSpecies();
    private static final int L = F.length();
    private static final int MR = 6;
    private static final int NR = 4 * L;
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
        run(kc, a, aRows[0], aRows[1], aRows[2], aRows[3], aRows[4], aRows[5], aStep, b, bo, bRs, bRows, br, alpha,
                beta, c, co, ldc, rows, cols);
    }

    /**
     * The product goes straight to C when {@code alpha = 1}, {@code beta = 0} and the tile has all the rows of the
     * body that computes it; otherwise to a per-thread tile that {@link #combine} then folds into C. Keeping alpha
     * and beta out of the bodies keeps them small enough for C1 to compile (a JIT tier the JVM falls back to after a
     * deoptimisation) and their stores inlined by C2 (when C2 stopped inlining a store helper, the accumulators
     * passed to it were boxed on the heap). A full-width tile of at most 4 rows runs on a 4- or 2-row body, so the
     * last rows of an output that is not a multiple of 6 rows (64, 128, 256) do not cost a whole tile.
     */
    private static void run(int kc, float[] a, int a0, int a1, int a2, int a3, int a4, int a5, int as, float[] b,
                            int bo, int bRs, int[] bRows, int br, float alpha, float beta, float[] c, int co, int ldc,
                            int rows, int cols) {
        int width = cols <= 2 * L ? 2 * L : NR;
        int height = width < NR || rows > 4 ? MR : rows > 2 ? 4 : 2;
        boolean direct = alpha == 1f && beta == 0f && rows == height;
        float[] t = direct ? c : SCRATCH.get();
        int to = direct ? co : 0;
        int tl = direct ? ldc : NR;
        if (width < NR) {
            half(kc, a, a0, a1, a2, a3, a4, a5, as, b, bo, bRs, bRows, br, t, to, tl);
        } else if (height == MR) {
            body(kc, a, a0, a1, a2, a3, a4, a5, as, b, bo, bRs, bRows, br, t, to, tl);
        } else if (height == 4) {
            body4(kc, a, a0, a1, a2, a3, as, b, bo, bRs, bRows, br, t, to, tl);
        } else {
            body2(kc, a, a0, a1, as, b, bo, bRs, bRows, br, t, to, tl);
        }
        if (!direct) {
            combine(t, rows, width, alpha, beta, c, co, ldc);
        }
    }

    /** {@code C = alpha·t + beta·C} over {@code rows} rows of {@code cols} columns, as {@link GemmKernel#combine}. */
    private static void combine(float[] t, int rows, int cols, float alpha, float beta, float[] c, int co, int ldc) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j += L) {
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
        }
    }

    /** {@link #body} for the first two vectors of columns only. */
    private static void half(int kc, float[] a, int a0, int a1, int a2, int a3, int a4, int a5, int as, float[] b,
                             int bo, int bRs, int[] bRows, int br, float[] c, int co, int ldc) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0, ap = 0, bp = bo; p < kc; p++, ap += as, bp += bRs) {
            int o = bRows == null ? bp : bo + bRows[br + p];
            FloatVector b0 = FloatVector.fromArray(F, b, o);
            FloatVector b1 = FloatVector.fromArray(F, b, o + L);
            FloatVector x;
            x = FloatVector.broadcast(F, a[a0 + ap]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[a2 + ap]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[a3 + ap]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[a4 + ap]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[a5 + ap]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        int o0 = co, o1 = co + ldc, o2 = o1 + ldc, o3 = o2 + ldc, o4 = o3 + ldc, o5 = o4 + ldc;
        c00.intoArray(c, o0); c01.intoArray(c, o0 + L);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + L);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + L);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + L);
        c40.intoArray(c, o4); c41.intoArray(c, o4 + L);
        c50.intoArray(c, o5); c51.intoArray(c, o5 + L);
    }

    /**
     * The 6×4L tile {@code C = Σ_p A·B} with A row {@code r} at {@code ar + p·as}, B row {@code p} as in
     * {@link #tileGather}.
     */
    private static void body(int kc, float[] a, int a0, int a1, int a2, int a3, int a4, int a5, int as, float[] b,
                             int bo, int bRs, int[] bRows, int br, float[] c, int co, int ldc) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z;
        FloatVector c50 = z, c51 = z, c52 = z, c53 = z;
        for (int p = 0, ap = 0, bp = bo; p < kc; p++, ap += as, bp += bRs) {
            int o = bRows == null ? bp : bo + bRows[br + p];
            FloatVector b0 = FloatVector.fromArray(F, b, o);
            FloatVector b1 = FloatVector.fromArray(F, b, o + 1 * L);
            FloatVector b2 = FloatVector.fromArray(F, b, o + 2 * L);
            FloatVector b3 = FloatVector.fromArray(F, b, o + 3 * L);
            FloatVector x;
            x = FloatVector.broadcast(F, a[a0 + ap]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, a[a2 + ap]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(F, a[a3 + ap]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(F, a[a4 + ap]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(F, a[a5 + ap]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        int o0 = co, o1 = co + ldc, o2 = o1 + ldc, o3 = o2 + ldc, o4 = o3 + ldc, o5 = o4 + ldc;
        c00.intoArray(c, o0); c01.intoArray(c, o0 + L); c02.intoArray(c, o0 + 2 * L); c03.intoArray(c, o0 + 3 * L);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + L); c12.intoArray(c, o1 + 2 * L); c13.intoArray(c, o1 + 3 * L);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + L); c22.intoArray(c, o2 + 2 * L); c23.intoArray(c, o2 + 3 * L);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + L); c32.intoArray(c, o3 + 2 * L); c33.intoArray(c, o3 + 3 * L);
        c40.intoArray(c, o4); c41.intoArray(c, o4 + L); c42.intoArray(c, o4 + 2 * L); c43.intoArray(c, o4 + 3 * L);
        c50.intoArray(c, o5); c51.intoArray(c, o5 + L); c52.intoArray(c, o5 + 2 * L); c53.intoArray(c, o5 + 3 * L);
    }

    /** {@link #body} for the first four rows. */
    private static void body4(int kc, float[] a, int a0, int a1, int a2, int a3, int as, float[] b, int bo, int bRs,
                              int[] bRows, int br, float[] c, int co, int ldc) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        for (int p = 0, ap = 0, bp = bo; p < kc; p++, ap += as, bp += bRs) {
            int o = bRows == null ? bp : bo + bRows[br + p];
            FloatVector b0 = FloatVector.fromArray(F, b, o);
            FloatVector b1 = FloatVector.fromArray(F, b, o + 1 * L);
            FloatVector b2 = FloatVector.fromArray(F, b, o + 2 * L);
            FloatVector b3 = FloatVector.fromArray(F, b, o + 3 * L);
            FloatVector x;
            x = FloatVector.broadcast(F, a[a0 + ap]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, a[a2 + ap]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(F, a[a3 + ap]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        }
        int o0 = co, o1 = co + ldc, o2 = o1 + ldc, o3 = o2 + ldc;
        c00.intoArray(c, o0); c01.intoArray(c, o0 + L); c02.intoArray(c, o0 + 2 * L); c03.intoArray(c, o0 + 3 * L);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + L); c12.intoArray(c, o1 + 2 * L); c13.intoArray(c, o1 + 3 * L);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + L); c22.intoArray(c, o2 + 2 * L); c23.intoArray(c, o2 + 3 * L);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + L); c32.intoArray(c, o3 + 2 * L); c33.intoArray(c, o3 + 3 * L);
    }

    /** {@link #body} for the first two rows. */
    private static void body2(int kc, float[] a, int a0, int a1, int as, float[] b, int bo, int bRs, int[] bRows,
                              int br, float[] c, int co, int ldc) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        for (int p = 0, ap = 0, bp = bo; p < kc; p++, ap += as, bp += bRs) {
            int o = bRows == null ? bp : bo + bRows[br + p];
            FloatVector b0 = FloatVector.fromArray(F, b, o);
            FloatVector b1 = FloatVector.fromArray(F, b, o + 1 * L);
            FloatVector b2 = FloatVector.fromArray(F, b, o + 2 * L);
            FloatVector b3 = FloatVector.fromArray(F, b, o + 3 * L);
            FloatVector x;
            x = FloatVector.broadcast(F, a[a0 + ap]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
        }
        int o0 = co, o1 = co + ldc;
        c00.intoArray(c, o0); c01.intoArray(c, o0 + L); c02.intoArray(c, o0 + 2 * L); c03.intoArray(c, o0 + 3 * L);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + L); c12.intoArray(c, o1 + 2 * L); c13.intoArray(c, o1 + 3 * L);
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
