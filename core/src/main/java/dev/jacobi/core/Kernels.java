package dev.jacobi.core;

/**
 * The narrow float32 kernel interface. {@link ScalarKernels} is the plain-Java implementation; a Vector API
 * implementation is loaded by name when {@code jdk.incubator.vector} is present (see {@link Simd}). Arrays are
 * addressed by offset; {@code as}/{@code bs} are element strides of the inputs (0 broadcasts one element), and
 * outputs are contiguous.
 */
interface Kernels {
    /** A short description, e.g. the vector species in use. */
    String describe();

    /** {@code out[oo+i] = op(a[ao+i*as], b[bo+i*bs])} for {@code i < n}. */
    void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n);

    /** {@code out[oo+i] = op(a[ao+i*as]; p, q)} for {@code i < n}. */
    void unary(UnaryOp op, float[] a, int ao, int as, float[] out, int oo, int n, float p, float q);

    /** Sum of {@code a[off .. off+n)}. */
    float sum(float[] a, int off, int n);

    /** Maximum of {@code a[off .. off+n)}, NaN if any element is NaN; {@code n >= 1}. */
    float max(float[] a, int off, int n);

    /** Minimum of {@code a[off .. off+n)}, NaN if any element is NaN; {@code n >= 1}. */
    float min(float[] a, int off, int n);

    /** Dot product of two contiguous runs. */
    float dot(float[] a, int ao, float[] b, int bo, int n);

    /**
     * Small products in dot form: {@code out[oo + i·ldo + j] += dot(a[ao + i·lda ..], b[bo + j·ldb ..], n)} for
     * {@code i < ma}, {@code j < mb}, each sum formed exactly as {@link #dot} forms it.
     */
    default void dots(float[] a, int ao, int lda, int ma, float[] b, int bo, int ldb, int mb, int n, float[] out,
                      int oo, int ldo) {
        for (int i = 0; i < ma; i++) {
            for (int j = 0; j < mb; j++) {
                out[oo + i * ldo + j] += dot(a, ao + i * lda, b, bo + j * ldb, n);
            }
        }
    }

    /** {@code y[yo+i] += alpha * x[xo+i]} for {@code i < n}. */
    void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n);
}
