package dev.jacobi.core;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API GEMM micro-kernel: an 6×4L tile (4 vectors of the species' L lanes per row, so 6×(4·16)
 * floats with AVX-512) kept in 24 accumulator registers and updated by broadcast-A × vector-B FMAs. Loaded by name
 * from {@link Simd#load} so that the library still links without {@code jdk.incubator.vector}.
 */
final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Float> F = VectorKernels.floatSpecies();
    private static final int L = F.length();
    private static final int MR = 6;
    private static final int NR = 4 * L;

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
                     int co, int ldc) {
        body(kc, a, ao, ao + 1, ao + 2, ao + 3, ao + 4, ao + 5, MR, b, bo, bRs, null, 0, alpha, beta, c, co, ldc);
    }

    @Override
    public void tileGather(int kc, float[] a, int[] aRows, int aStep, float[] b, int bo, int bRs, int[] bRows,
                           int br, float alpha, float beta, float[] c, int co, int ldc) {
        body(kc, a, aRows[0], aRows[1], aRows[2], aRows[3], aRows[4], aRows[5], aStep, b, bo, bRs, bRows, br,
                alpha, beta, c, co, ldc);
    }

    /** The 6×4L tile with A row {@code r} at {@code ar + p·as}, B row {@code p} as in {@link #tileGather}. */
    private static void body(int kc, float[] a, int a0, int a1, int a2, int a3, int a4, int a5, int as, float[] b,
                             int bo, int bRs, int[] bRows, int br, float alpha, float beta, float[] c, int co,
                             int ldc) {
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
        store(c00, alpha, beta, c, co); store(c01, alpha, beta, c, co + 1 * L); store(c02, alpha, beta, c, co + 2 * L); store(c03, alpha, beta, c, co + 3 * L);
        store(c10, alpha, beta, c, co + 1 * ldc); store(c11, alpha, beta, c, co + 1 * ldc + 1 * L); store(c12, alpha, beta, c, co + 1 * ldc + 2 * L); store(c13, alpha, beta, c, co + 1 * ldc + 3 * L);
        store(c20, alpha, beta, c, co + 2 * ldc); store(c21, alpha, beta, c, co + 2 * ldc + 1 * L); store(c22, alpha, beta, c, co + 2 * ldc + 2 * L); store(c23, alpha, beta, c, co + 2 * ldc + 3 * L);
        store(c30, alpha, beta, c, co + 3 * ldc); store(c31, alpha, beta, c, co + 3 * ldc + 1 * L); store(c32, alpha, beta, c, co + 3 * ldc + 2 * L); store(c33, alpha, beta, c, co + 3 * ldc + 3 * L);
        store(c40, alpha, beta, c, co + 4 * ldc); store(c41, alpha, beta, c, co + 4 * ldc + 1 * L); store(c42, alpha, beta, c, co + 4 * ldc + 2 * L); store(c43, alpha, beta, c, co + 4 * ldc + 3 * L);
        store(c50, alpha, beta, c, co + 5 * ldc); store(c51, alpha, beta, c, co + 5 * ldc + 1 * L); store(c52, alpha, beta, c, co + 5 * ldc + 2 * L); store(c53, alpha, beta, c, co + 5 * ldc + 3 * L);
    }

    /** {@code c[o..o+L) = alpha·v + beta·c[o..o+L)}, bit-identical to {@link GemmKernel#combine}. */
    private static void store(FloatVector v, float alpha, float beta, float[] c, int o) {
        if (alpha != 1f) {
            v = v.mul(alpha);
        }
        if (beta == 0f) {
            v.intoArray(c, o);
        } else if (beta == 1f) {
            v.add(FloatVector.fromArray(F, c, o)).intoArray(c, o);
        } else {
            v.add(FloatVector.fromArray(F, c, o).mul(beta)).intoArray(c, o);
        }
    }
}
