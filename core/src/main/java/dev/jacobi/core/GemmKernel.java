package dev.jacobi.core;

/**
 * The register-blocked micro-kernel of {@link Gemm}: one {@code mr()×nr()} tile of
 * {@code C = alpha·Ã·B̃ + beta·C}, where {@code Ã} is a packed {@code mr×kc} micro-panel and {@code B̃} a
 * {@code kc×nr} micro-panel. {@link ScalarGemmKernel} is the plain-Java twin; a Vector API implementation is loaded
 * by name (see {@link Simd#load}).
 */
interface GemmKernel {
    /** Rows of a tile. */
    int mr();

    /** Columns of a tile. */
    int nr();

    /** A short description, e.g. the tile shape and species. */
    String describe();

    /**
     * {@code C[co + r·ldc + j] = combine(Σ_p a[ao + p·mr + r]·b[bo + p·bRs + j], alpha, beta, C[...])} for the full
     * tile {@code r < mr()}, {@code j < nr()}, {@code p < kc}, summing {@code p} in ascending order.
     */
    void tile(int kc, float[] a, int ao, float[] b, int bo, int bRs, float alpha, float beta, float[] c, int co,
              int ldc);

    /**
     * The epilogue every kernel applies to an accumulated dot product {@code acc}: {@code alpha·acc + beta·old}, with
     * {@code beta == 0} ignoring {@code old} (even NaN) and the products skipped when {@code alpha} or {@code beta} is 1.
     */
    static float combine(float acc, float alpha, float beta, float old) {
        float v = alpha == 1f ? acc : acc * alpha;
        return beta == 0f ? v : beta == 1f ? v + old : v + old * beta;
    }
}
