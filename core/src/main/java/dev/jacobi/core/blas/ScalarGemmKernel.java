package dev.jacobi.core.blas;

/** Plain-Java 4×4 GEMM micro-kernel: the fallback without the Vector API and the reference twin in tests. */
public class ScalarGemmKernel implements GemmKernel {
    private static final int MR = 4;
    private static final int NR = 4;

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
        return "scalar 4x4";
    }

    @Override
    public void tile(int kc, float[] a, int ao, float[] b, int bo, int bRs, float alpha, float beta, float[] c,
                     int co, int ldc, int rows) {
        run(kc, a, ao, ao + 1, ao + 2, ao + 3, MR, b, bo, bRs, alpha, beta, c, co, ldc, rows, NR);
    }

    /**
     * Tiles with B rows at a stride (a ragged last panel of GEMM too, its packed rows padded to 4) run as {@link #tile}
     * does and write their first {@code cols} columns; gathers through a row table on the plain reference.
     */
    @Override
    public void tileGather(int kc, float[] a, int[] aRows, int aStep, float[] b, int bo, int bRs, int[] bRows,
                           int br, float alpha, float beta, float[] c, int co, int ldc, int rows, int cols) {
        if (bRows != null) {
            GemmKernel.super.tileGather(kc, a, aRows, aStep, b, bo, bRs, bRows, br, alpha, beta, c, co, ldc, rows,
                    cols);
            return;
        }
        run(kc, a, aRows[0], aRows[1], aRows[2], aRows[3], aStep, b, bo, bRs, alpha, beta, c, co, ldc, rows, cols);
    }

    /** The tile with A row {@code r} at {@code ar + p·as}; its first {@code cols} columns are written. */
    private static void run(int kc, float[] a, int r0, int r1, int r2, int r3, int as, float[] b, int bo, int bRs,
                            float alpha, float beta, float[] c, int co, int ldc, int rows, int cols) {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0, ap = 0; p < kc; p++, ap += as, bo += bRs) {
            float b0 = b[bo], b1 = b[bo + 1], b2 = b[bo + 2], b3 = b[bo + 3];
            float a0 = a[r0 + ap], a1 = a[r1 + ap], a2 = a[r2 + ap], a3 = a[r3 + ap];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        row(c00, c01, c02, c03, cols, alpha, beta, c, co);
        if (rows > 1) {
            row(c10, c11, c12, c13, cols, alpha, beta, c, co + ldc);
        }
        if (rows > 2) {
            row(c20, c21, c22, c23, cols, alpha, beta, c, co + 2 * ldc);
        }
        if (rows > 3) {
            row(c30, c31, c32, c33, cols, alpha, beta, c, co + 3 * ldc);
        }
    }

    private static void row(float x0, float x1, float x2, float x3, int cols, float alpha, float beta, float[] c,
                            int o) {
        c[o] = GemmKernel.combine(x0, alpha, beta, c[o]);
        if (cols > 1) {
            c[o + 1] = GemmKernel.combine(x1, alpha, beta, c[o + 1]);
        }
        if (cols > 2) {
            c[o + 2] = GemmKernel.combine(x2, alpha, beta, c[o + 2]);
        }
        if (cols > 3) {
            c[o + 3] = GemmKernel.combine(x3, alpha, beta, c[o + 3]);
        }
    }
}
