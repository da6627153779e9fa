package dev.jacobi.core.kernel;

/**
 * The narrow float32 kernel interface. {@link ScalarKernels} is the plain-Java implementation; a Vector API
 * implementation is loaded by name when {@code jdk.incubator.vector} is present (see {@link Backend}). Arrays are
 * addressed by offset; {@code as}/{@code bs} are element strides of the inputs (0 broadcasts one element), and
 * outputs are contiguous.
 */
public interface Kernels {
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

    /** Dot product of two contiguous float64 runs (summation order is the implementation's). */
    double dot(double[] a, int ao, double[] b, int bo, int n);

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

    /**
     * Column sums of a block of {@code rows ≥ 1} rows {@code stride} apart: {@code out[oo+j] = x[off+j] +
     * x[off+stride+j] + …} for {@code j < n}, each added in row order from the first row (the bits of adding the rows
     * one by one into a copy of the first).
     */
    void sumRows(float[] x, int off, int stride, int rows, float[] out, int oo, int n);

    /** {@code y[yo+i] += alpha * x[xo+i]} for {@code i < n}. */
    void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n);

    // batch normalisation over a contiguous run of one channel (dev.jacobi.core.Normalization)

    /** {@code Σ (a[off+i] − c)²} for {@code i < n}: the second pass of a variance. */
    float sumSquaredDeviations(float[] a, int off, int n, float c);

    /** {@code out[oo+i] = a[ao+i]·s + t} for {@code i < n}, then {@code max(·, 0)} (NaN kept) if {@code relu}. */
    void scaleShift(float[] a, int ao, float s, float t, boolean relu, float[] out, int oo, int n);

    /**
     * Adds {@code Σ m_i} to {@code sums[0]} and {@code Σ m_i·(x[xo+i] − c)} to {@code sums[1]}, for {@code i < n},
     * where {@code m_i = g[go+i]}, or, if {@code y} is not null, {@code g[go+i]} where {@code y[yo+i] > 0} and 0
     * elsewhere (ReLU's backward at the ReLU output {@code y}).
     */
    void maskedSums(float[] g, int go, float[] y, int yo, float[] x, int xo, float c, int n, double[] sums);

    /** {@code out[oo+i] = k1·m_i + k2·(x[xo+i] − c) + k3} for {@code i < n}, {@code m_i} as in {@link #maskedSums}. */
    void maskedAffine(float[] g, int go, float[] y, int yo, float[] x, int xo, float c, float k1, float k2, float k3,
                      float[] out, int oo, int n);

    // Winograd F(2×2, 3×3) convolution and its F(3×3, 2×2) weight adjoint (dev.jacobi.core.conv.Winograd)

    /**
     * The output transform {@code Aᵀ m A + bias} of {@code n} patches, {@code Aᵀ = [1 1 1 0; 0 1 −1 −1]}: with
     * {@code m_ab = m[mo + (4a + b)·s + i]} the 4×4 products of patch {@code i < n}, the 2×2 result's element
     * {@code (r, q)} goes to {@code out[oo + (2r + q)·os + i]}. Sums run in the order
     * {@code ((x + y) + z) + bias} and {@code ((x − y) − z) + bias}.
     */
    void winogradOutput(float[] m, int mo, int s, float bias, float[] out, int oo, int os, int n);

    /**
     * The gradient transform {@code G g Gᵀ} of the weight adjoint, {@code G = [1 0; 1 1; 1 −1; 0 1]}: with
     * {@code g = [g[g00 + i], g[g01 + i]; g[g10 + i], g[g11 + i]]} the 2×2 block of column {@code i < n}, element
     * {@code (a, b)} of its 4×4 transform goes to {@code v[vo + (4a + b)·s + i]}. Row sums run as
     * {@code (g00 ± g10) ± (g01 ± g11)}.
     */
    void winogradGradient(float[] g, int g00, int g01, int g10, int g11, float[] v, int vo, int s, int n);

    /**
     * The input transform {@code Bᵀ d B} of the weight adjoint, {@code Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]}:
     * with {@code d[r][q] = x[xo + r·rs + q·cs + i]} the 4×4 patch of column {@code i < n}, element {@code (a, b)} of
     * its transform goes to {@code v[vo + (4a + b)·s + i]}.
     */
    void winogradInput(float[] x, int xo, int rs, int cs, float[] v, int vo, int s, int n);

    /**
     * Max pooling over windows given by their corners: for {@code o} in {@code [from, to)}, {@code out[o]} is the
     * first maximum, or the first NaN, of {@code x[xo + idx[o] + taps[t]]} in the order of {@code taps}, and
     * {@code idx[o]} (each window's first position on entry) becomes that element's position. Elements are compared
     * through {@link #maxKey}, so {@code -0} equals {@code +0}. This default is the plain-Java reference.
     */
    default void maxPool(float[] x, int xo, int[] taps, int[] idx, float[] out, int from, int to) {
        for (int o = from; o < to; o++) {
            int corner = idx[o];
            int best = corner + taps[0];
            int bk = maxKey(x[xo + best]);
            for (int t = 1; t < taps.length; t++) {
                int at = corner + taps[t];
                int k = maxKey(x[xo + at]);
                int m = (int) (((long) bk - k) >> 63); // -1 where k > bk, else 0: no branch on the data
                bk ^= (bk ^ k) & m;
                best ^= (best ^ at) & m;
            }
            out[o] = x[xo + best];
            idx[o] = best;
        }
    }

    /**
     * {@link #maxPool} for 2×2 windows at stride 2 on planes of even height, by output rows: row {@code r} of
     * {@code [r0, r1)} (counted over all planes) has {@code wo} outputs, and its window {@code j} starts at
     * {@code 2w·r + 2j}. Writes {@code out} and {@code idx} for outputs {@code [r0·wo, r1·wo)} only.
     */
    default void maxPool2x2(float[] x, int xo, int w, int wo, int r0, int r1, float[] out, int[] idx) {
        for (int r = r0, o = r0 * wo; r < r1; r++) {
            for (int j = 0; j < wo; j++, o++) {
                idx[o] = 2 * w * r + 2 * j;
            }
        }
        maxPool(x, xo, new int[] {0, 1, w, w + 1}, idx, out, r0 * wo, r1 * wo);
    }

    /**
     * An int that orders like the float: {@code maxKey(a) > maxKey(b)} exactly when {@code a > b}, with {@code -0}
     * equal to {@code +0} and every NaN above everything else (so a first NaN is kept, as a first maximum is).
     */
    static int maxKey(float v) {
        int b = Float.floatToIntBits(v + 0f); // -0 + 0 = +0; NaNs become one positive NaN
        return b ^ ((b >> 31) & 0x7fffffff);
    }
}
