package dev.jacobi.core;

/**
 * General matrix multiply on row-major arrays, BLAS style: {@code C = alpha·op(A)·op(B) + beta·C}, where
 * {@code op(A)} is {@code m×k} and {@code op(B)} is {@code k×n}. {@code transA} means {@code A} is stored as
 * {@code k×m} (so {@code op(A) = Aᵀ}), likewise {@code transB}. {@code lda}, {@code ldb}, {@code ldc} are the row
 * strides of the arrays as stored. Work is split over rows of {@code C} on {@link Parallel}.
 */
public final class Gemm {
    private Gemm() {
    }

    /** Single-precision GEMM; see the class comment for the contract. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        Kernels kn = Simd.KERNELS;
        Parallel.forRange(m, Math.max(1, 32768 / Math.max(1, n * Math.max(1, k) / 64)), (r0, r1) -> {
            for (int i = r0; i < r1; i++) {
                int ci = cOff + i * ldc;
                if (beta == 0f) {
                    java.util.Arrays.fill(c, ci, ci + n, 0f);
                } else if (beta != 1f) {
                    for (int j = 0; j < n; j++) {
                        c[ci + j] *= beta;
                    }
                }
                if (!transB) {
                    for (int p = 0; p < k; p++) {
                        float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                        if (aip != 0f) {
                            kn.axpy(alpha * aip, b, bOff + p * ldb, c, ci, n);
                        }
                    }
                } else if (!transA) {
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += alpha * kn.dot(a, aOff + i * lda, b, bOff + j * ldb, k);
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        float s = 0;
                        for (int p = 0; p < k; p++) {
                            s += a[aOff + p * lda + i] * b[bOff + j * ldb + p];
                        }
                        c[ci + j] += alpha * s;
                    }
                }
            }
        });
    }

    /** Double-precision GEMM (the verification path); see the class comment for the contract. */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                             double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                             double beta, double[] c, int cOff, int ldc) {
        Parallel.forRange(m, Math.max(1, 32768 / Math.max(1, n * Math.max(1, k) / 64)), (r0, r1) -> {
            for (int i = r0; i < r1; i++) {
                int ci = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    c[ci + j] = beta == 0 ? 0 : beta * c[ci + j];
                }
                for (int p = 0; p < k; p++) {
                    double aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    if (aip == 0) {
                        continue;
                    }
                    aip *= alpha;
                    if (transB) {
                        for (int j = 0; j < n; j++) {
                            c[ci + j] += aip * b[bOff + j * ldb + p];
                        }
                    } else {
                        int bp = bOff + p * ldb;
                        for (int j = 0; j < n; j++) {
                            c[ci + j] += aip * b[bp + j];
                        }
                    }
                }
            }
        });
    }
}
