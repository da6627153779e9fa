package dev.jacobi.core.kernel;

/**
 * The complex matrix-vector product of the batched Lanczos of {@code core.linalg.ConvSpectra}, run on
 * {@link #lanes()} independent problems at once. Every array interleaves the problems: element {@code e} of lane
 * {@code g} is at {@code e·lanes() + g} past the array's offset, and complex values are split into real and imaginary arrays.
 * Lanes never mix. {@link ScalarLaneKernel} is the plain-Java twin; a Vector API implementation is loaded by name
 * (see {@link Backend#load}).
 */
public interface LaneKernel {
    /** Problems per call. */
    int lanes();

    /**
     * {@code y[r] = Σ_c op(M[r, c])·x[c]} for {@code r < rows}, {@code c < cols} in each lane, where {@code op} is
     * the identity or, with {@code conj}, complex conjugation; with {@code subtract}, {@code y[r] −=} that sum
     * instead. Entry {@code M[r, c]} of lane {@code g} is at {@code mo + r·rs + c·cs + g}, {@code x[c]} at
     * {@code xo + c·lanes() + g} and {@code y[r]} at {@code yo + r·lanes() + g}; {@code y} must not overlap
     * {@code M} or {@code x}.
     */
    void gemv(float[] mr, float[] mi, int mo, int rows, int cols, int rs, int cs, boolean conj,
              float[] xr, float[] xi, int xo, float[] yr, float[] yi, int yo, boolean subtract);

    /**
     * {@code y[r] = Σ_c a[r·cols + c]·w[c]} for {@code r < rows}, {@code c < cols} in each lane, where the real
     * matrix {@code a} is the same for all lanes and the complex {@code w} and {@code y} are lane-interleaved.
     */
    void sharedGemv(float[] a, int rows, int cols, float[] wr, float[] wi, float[] yr, float[] yi);
}
