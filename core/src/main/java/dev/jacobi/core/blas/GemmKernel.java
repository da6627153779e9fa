package dev.jacobi.core.blas;

import dev.jacobi.core.kernel.Backend;

/**
 * The register-blocked micro-kernel of {@link Gemm}: one {@code mr()×nr()} tile of
 * {@code C = alpha·Ã·B̃ + beta·C}, where {@code Ã} is a packed {@code mr×kc} micro-panel and {@code B̃} a
 * {@code kc×nr} micro-panel. {@link ScalarGemmKernel} is the plain-Java twin; a Vector API implementation is loaded
 * by name (see {@link Backend#load}).
 */
public interface GemmKernel {
    /** Rows of a tile. */
    int mr();

    /** Columns of a tile. */
    int nr();

    /**
     * How far apart the rows of a packed B micro-panel are, at least {@link #nr()}; the {@code nr()} columns of a row
     * are followed by unused padding when larger. {@link Gemm} packs B this way and passes it as {@code bRs}.
     */
    default int packedStride() {
        return nr();
    }

    /**
     * How many rows a packed A micro-panel has per depth step, at least {@link #mr()}; the rows past {@code mr()} are
     * zero. {@link Gemm} packs a transposed A this way and passes it with this step.
     */
    default int packedRowsA() {
        return mr();
    }

    /** A short description, e.g. the tile shape and species. */
    String describe();

    /**
     * {@code C[co + r·ldc + j] = combine(Σ_p a[ao + p·mr + r]·b[bo + p·bRs + j], alpha, beta, C[...])} for the first
     * {@code rows} rows of the tile, {@code r < rows ≤ mr()}, {@code j < nr()}, {@code p < kc}, summing {@code p}
     * in ascending order. The packed panel has all {@code mr()} rows; rows from {@code rows} on are neither written
     * nor do they change the others, whose sums are the same as in a full tile.
     */
    void tile(int kc, float[] a, int ao, float[] b, int bo, int bRs, float alpha, float beta, float[] c, int co,
              int ldc, int rows);

    /**
     * The gathered tile of the convolutions, where neither operand need be packed:
     * {@code C[co + r·ldc + j] = combine(Σ_p a[aRows[r] + p·aStep]·b[bo + row(p) + j], alpha, beta, C[...])} for
     * {@code r < rows ≤ mr()}, {@code j < cols}, {@code p < kc} in ascending order, with
     * {@code row(p) = bRows[br + p]}, or {@code p·bRs} when {@code bRows} is null. Only the first {@code cols}
     * columns, {@code 1 ≤ cols ≤ nr()}, are computed and written (fewer than {@code nr()} at the ragged end of a
     * convolution's output rows), but each B row must have {@code nr()} readable elements. All {@code mr()} entries of {@code aRows} must be valid starts.
     * {@link #tile} is the case {@code aRows[r] = ao + r}, {@code aStep = mr()}, {@code cols = nr()}. This default
     * is the plain-Java reference.
     */
    default void tileGather(int kc, float[] a, int[] aRows, int aStep, float[] b, int bo, int bRs, int[] bRows,
                            int br, float alpha, float beta, float[] c, int co, int ldc, int rows, int cols) {
        float[] acc = new float[rows * cols];
        for (int p = 0; p < kc; p++) {
            int row = bo + (bRows == null ? p * bRs : bRows[br + p]);
            for (int r = 0; r < rows; r++) {
                float x = a[aRows[r] + p * aStep];
                for (int j = 0; j < cols; j++) {
                    acc[r * cols + j] += x * b[row + j];
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                c[co + r * ldc + j] = combine(acc[r * cols + j], alpha, beta, c[co + r * ldc + j]);
            }
        }
    }

    /**
     * A product of few columns written straight to C (the small-k direct convolution), for {@code h} rows of output
     * at a time: {@code C[co + r·ldc + i·cStep + j] = bias[bOff + r] + Σ_p a[ao + r·lda + p]·b[bo + i·bStep + bRows[p]
     * + j]} for {@code r < m}, {@code i < h}, {@code j < n}, {@code p < k} in ascending order ({@code bias} null counts
     * as 0). Each B row must have {@code n} readable elements. This default is the plain-Java reference.
     */
    default void narrow(int m, int h, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int bStep,
                        int[] bRows, float[] bias, int bOff, float[] c, int co, int cStep, int ldc) {
        for (int r = 0; r < m; r++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < n; j++) {
                    float s = bias == null ? 0f : bias[bOff + r];
                    for (int p = 0; p < k; p++) {
                        s += a[ao + r * lda + p] * b[bo + i * bStep + bRows[p] + j];
                    }
                    c[co + r * ldc + i * cStep + j] = s;
                }
            }
        }
    }

    /**
     * Packs a panel of a transposed operand: {@code dst[off + p·w + j] = src[s0 + j·ld + p]} for {@code j < rows},
     * {@code p < kc}, and zero for {@code rows <= j < cols}, in rows {@code w ≥ cols} apart whose columns from
     * {@code cols} on are left alone (the panels of a transposed B: {@code cols = nr()}, {@code w = packedStride()}).
     * This default is the plain-Java reference ({@link #transposeFrom}).
     */
    default void packTransposed(float[] src, int s0, int ld, int kc, int rows, int cols, int w, float[] dst,
                                int off) {
        transposeFrom(0, src, s0, ld, kc, rows, cols, w, dst, off);
    }

    /**
     * Packs {@code cols} columns of {@code kc} rows of a row-major matrix ({@code src[s0 + p·ld + j]}) into panels of
     * {@link #nr()} columns: column {@code j} of row {@code p} goes to {@code dst[off + (j / nr)·w·kc + p·w + j % nr]},
     * and a last, narrower panel is zero-padded to {@code nr} columns (the columns from {@code nr} to {@code w} are
     * neither written nor read). Row by row, so the source is read in order. This default copies each panel's run of a
     * row with {@code System.arraycopy}.
     */
    default void packRows(float[] src, int s0, int ld, int kc, int cols, int w, float[] dst, int off) {
        int nr = nr();
        for (int p = 0; p < kc; p++) {
            for (int j = 0; j < cols; j += nr) {
                int width = Math.min(nr, cols - j);
                int d = off + j / nr * w * kc + p * w;
                System.arraycopy(src, s0 + p * ld + j, dst, d, width);
                java.util.Arrays.fill(dst, d + width, d + nr, 0f);
            }
        }
    }

    /**
     * {@link #packTransposed} for the columns {@code j0 <= j < cols} of {@code dst} only. Eight source rows are read
     * side by side, so each destination row is written in runs of eight instead of being revisited by every source
     * row.
     */
    static void transposeFrom(int j0, float[] src, int s0, int ld, int kc, int rows, int cols, int w, float[] dst,
                              int off) {
        int j = j0;
        for (; j + 8 <= rows; j += 8) {
            int r0 = s0 + j * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
            int r4 = r3 + ld, r5 = r4 + ld, r6 = r5 + ld, r7 = r6 + ld;
            for (int p = 0, d = off + j; p < kc; p++, d += w) {
                dst[d] = src[r0 + p];
                dst[d + 1] = src[r1 + p];
                dst[d + 2] = src[r2 + p];
                dst[d + 3] = src[r3 + p];
                dst[d + 4] = src[r4 + p];
                dst[d + 5] = src[r5 + p];
                dst[d + 6] = src[r6 + p];
                dst[d + 7] = src[r7 + p];
            }
        }
        for (; j < cols; j++) {
            for (int p = 0, d = off + j, r = s0 + j * ld; p < kc; p++, d += w) {
                dst[d] = j < rows ? src[r + p] : 0f;
            }
        }
    }

    /**
     * The epilogue every kernel applies to an accumulated dot product {@code acc}: {@code alpha·acc + beta·old}, with
     * {@code beta == 0} ignoring {@code old} (even NaN) and the products skipped when {@code alpha} or {@code beta} is 1.
     */
    static float combine(float acc, float alpha, float beta, float old) {
        float v = alpha == 1f ? acc : acc * alpha;
        return beta == 0f ? v : beta == 1f ? v + old : v + old * beta;
    }
}
