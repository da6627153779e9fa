package dev.jacobi.core.blas;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API GEMM micro-kernel: a 4×4L tile with 16 lanes (4 vectors of the species' L lanes per row, so 4×64 floats
 * with AVX-512) or a 4×3L tile with fewer (4×24 floats with AVX2; 3×24 before JDK 25), kept in accumulator registers
 * and updated by broadcast-A × vector-B FMAs. Loaded by name from {@link Backend#load} so that the library still links without
 * {@code jdk.incubator.vector}.
 */
public final class VectorGemmKernel implements GemmKernel {
    private static final VectorSpecies<Float> F = VectorKernels.floatSpecies();
    private static final int L = F.length();
    /**
     * Four vectors of columns with 16 lanes (4×64 floats: 16 accumulators, 4 loads of B and a broadcast of A in 21 of
     * AVX-512's 32 registers); three with fewer lanes, so that with AVX2's 16 registers the 4×24 tile's 12
     * accumulators, 3 loads of B and a broadcast of A stay in registers. The 4×24 tile needs 7 loads per 12 FMAs where
     * AVX2's 6×16 needed 8, and ran at 97 GFLOP/s on one thread against 83 for 6×16 (JDK 25, AMD EPYC with
     * {@code -XX:UseAVX=2}, FMA peak 112). Before JDK 25 three rows (3×24), see {@link #TILE8}. With 16 lanes the
     * tile was 6×64 (29 registers) until JDK 17's C2 was seen to compile its body with spilled accumulators in most
     * JVM starts of a convolution (2x slower); 4×64 compiled fast in every start, and as fast as 6×64 on JDK 25.
     */
    private static final boolean WIDE = L >= 16;
    /** With fewer lanes, the tile: "3x24", "4x16" or "4x24", see {@link Gemm#eightLaneTile}; null with 16. */
    private static final String TILE8 = WIDE ? null
            : Gemm.eightLaneTile(System.getProperty("jacobi.gemm.tile"), Runtime.version().feature());
    private static final int MR = "3x24".equals(TILE8) ? 3 : 4;
    private static final int NR = WIDE ? 4 * L : "4x16".equals(TILE8) ? 2 * L : 3 * L;
    /**
     * Rows of a packed B micro-panel are {@code PS} floats apart: 4 vectors for the 3- and 4-vector tiles (the stride
     * of every packed body), so that with 8 lanes the index of a row, {@code p·32}, is a shift. JDK 17's C2 rewrites {@code p·24} as {@code (p<<4) + (p<<3)},
     * which its range-check elimination does not recognise, so the 3×24 body kept two bounds checks of B per step; with
     * {@code p·32} none (GEMM n = 1024 on one core 73–75 → 84–89 GFLOP/s, JDK 17, AVX2). The 4×24 body with B at
     * {@code p·32} and A at a step given as a parameter ({@code body4x3p0}) ran GEMM 3-5% faster on JDK 25.
     */
    private static final int PS = NR >= 3 * L ? 4 * L : NR;
    /**
     * A packed A panel of the 3×24 tile has 4 rows per step (the fourth zero), so that its index {@code 4p} is a shift
     * too ({@code Aᵀ·B} at 128×512×784 on one core 63–67 → 67–70 GFLOP/s, JDK 17).
     */
    private static final int PA = MR == 3 ? 4 : MR;
    /** The butterfly stages of {@link #packTransposed}: lane rotations by ±d and the lanes with bit d set. */
    private static final VectorShuffle<Float> UP1 = rotate(-1), DOWN1 = rotate(1), UP2 = rotate(-2), DOWN2 = rotate(2);
    private static final VectorShuffle<Float> UP4 = rotate(-4), DOWN4 = rotate(4), UP8 = rotate(-8), DOWN8 = rotate(8);
    private static final VectorMask<Float> ODD1 = lanesWith(1), ODD2 = lanesWith(2), ODD4 = lanesWith(4);
    private static final VectorMask<Float> ODD8 = lanesWith(8);
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[4 * NR]);

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    /**
     * Blocks of L×L (8×8 with AVX2, 16×16 with AVX-512) transposed in registers by butterfly stages: lanes swapped
     * between vectors 1, 2, 4 (and 8) apart, each a rotation and a blend, where the plain loop moves one float per load
     * and store. The 784×512 B of {@code gy·Wᵀ} packs 2-3x faster. The blocks use the kernel's own species: on JDK 17 a
     * second species (256-bit vectors next to 512-bit ones) splits the type profile of the Vector API's shared methods,
     * and C2 then leaves stores of both unintrinsified (the whole GEMM 20x slower). Other lane counts, the last
     * {@code kc mod L} depths and {@code rows mod L} rows take the plain loop.
     */
    @Override
    public void packTransposed(float[] src, int s0, int ld, int kc, int rows, int cols, int w, float[] dst,
                               int off) {
        int rowsL = L == 8 || L == 16 ? rows - rows % L : 0;
        int kcL = kc - kc % L;
        for (int j = 0; j < rowsL; j += L) {
            for (int p = 0; p < kcL; p += L) {
                if (L == 8) {
                    transpose8(src, s0 + j * ld + p, ld, dst, off + p * w + j, w);
                } else {
                    transpose16(src, s0 + j * ld + p, ld, dst, off + p * w + j, w);
                }
            }
            for (int p = kcL; p < kc; p++) {
                for (int r = 0; r < L; r++) {
                    dst[off + p * w + j + r] = src[s0 + (j + r) * ld + p];
                }
            }
        }
        GemmKernel.transposeFrom(rowsL, src, s0, ld, kc, rows, cols, w, dst, off);
    }

    /**
     * The whole panels' runs of a row as {@code NR / L} vector loads and stores (a call of {@code System.arraycopy}
     * per run costs more than the copy for runs of 24 or 64 floats); a last, narrower panel as the default does it.
     */
    @Override
    public void packRows(float[] src, int s0, int ld, int kc, int cols, int w, float[] dst, int off) {
        int whole = cols - cols % NR;
        for (int p = 0; p < kc; p++) {
            int s = s0 + p * ld;
            int d = off + p * w;
            for (int j = 0; j < whole; j += NR, d += w * kc) {
                for (int v = 0; v < NR; v += L) {
                    FloatVector.fromArray(F, src, s + j + v).intoArray(dst, d + v);
                }
            }
            if (whole < cols) {
                System.arraycopy(src, s + whole, dst, d, cols - whole);
                java.util.Arrays.fill(dst, d + cols - whole, d + NR, 0f);
            }
        }
    }

    /** {@code dst[d + p·w + r] = src[s + r·ld + p]} for {@code r, p < 8}, in vectors of 8 lanes. */
    private static void transpose8(float[] src, int s, int ld, float[] dst, int d, int w) {
        FloatVector v0 = FloatVector.fromArray(F, src, s);
        FloatVector v1 = FloatVector.fromArray(F, src, s + ld);
        FloatVector v2 = FloatVector.fromArray(F, src, s + 2 * ld);
        FloatVector v3 = FloatVector.fromArray(F, src, s + 3 * ld);
        FloatVector v4 = FloatVector.fromArray(F, src, s + 4 * ld);
        FloatVector v5 = FloatVector.fromArray(F, src, s + 5 * ld);
        FloatVector v6 = FloatVector.fromArray(F, src, s + 6 * ld);
        FloatVector v7 = FloatVector.fromArray(F, src, s + 7 * ld);
        FloatVector t;
        // lanes swapped between vectors 1 apart
        t = v0.blend(v1.rearrange(UP1), ODD1); v1 = v0.rearrange(DOWN1).blend(v1, ODD1); v0 = t;
        t = v2.blend(v3.rearrange(UP1), ODD1); v3 = v2.rearrange(DOWN1).blend(v3, ODD1); v2 = t;
        t = v4.blend(v5.rearrange(UP1), ODD1); v5 = v4.rearrange(DOWN1).blend(v5, ODD1); v4 = t;
        t = v6.blend(v7.rearrange(UP1), ODD1); v7 = v6.rearrange(DOWN1).blend(v7, ODD1); v6 = t;
        // lanes swapped between vectors 2 apart
        t = v0.blend(v2.rearrange(UP2), ODD2); v2 = v0.rearrange(DOWN2).blend(v2, ODD2); v0 = t;
        t = v1.blend(v3.rearrange(UP2), ODD2); v3 = v1.rearrange(DOWN2).blend(v3, ODD2); v1 = t;
        t = v4.blend(v6.rearrange(UP2), ODD2); v6 = v4.rearrange(DOWN2).blend(v6, ODD2); v4 = t;
        t = v5.blend(v7.rearrange(UP2), ODD2); v7 = v5.rearrange(DOWN2).blend(v7, ODD2); v5 = t;
        // lanes swapped between vectors 4 apart
        t = v0.blend(v4.rearrange(UP4), ODD4); v4 = v0.rearrange(DOWN4).blend(v4, ODD4); v0 = t;
        t = v1.blend(v5.rearrange(UP4), ODD4); v5 = v1.rearrange(DOWN4).blend(v5, ODD4); v1 = t;
        t = v2.blend(v6.rearrange(UP4), ODD4); v6 = v2.rearrange(DOWN4).blend(v6, ODD4); v2 = t;
        t = v3.blend(v7.rearrange(UP4), ODD4); v7 = v3.rearrange(DOWN4).blend(v7, ODD4); v3 = t;
        v0.intoArray(dst, d);
        v1.intoArray(dst, d + w);
        v2.intoArray(dst, d + 2 * w);
        v3.intoArray(dst, d + 3 * w);
        v4.intoArray(dst, d + 4 * w);
        v5.intoArray(dst, d + 5 * w);
        v6.intoArray(dst, d + 6 * w);
        v7.intoArray(dst, d + 7 * w);
    }

    /** {@code dst[d + p·w + r] = src[s + r·ld + p]} for {@code r, p < 16}, in vectors of 16 lanes. */
    private static void transpose16(float[] src, int s, int ld, float[] dst, int d, int w) {
        FloatVector v0 = FloatVector.fromArray(F, src, s);
        FloatVector v1 = FloatVector.fromArray(F, src, s + ld);
        FloatVector v2 = FloatVector.fromArray(F, src, s + 2 * ld);
        FloatVector v3 = FloatVector.fromArray(F, src, s + 3 * ld);
        FloatVector v4 = FloatVector.fromArray(F, src, s + 4 * ld);
        FloatVector v5 = FloatVector.fromArray(F, src, s + 5 * ld);
        FloatVector v6 = FloatVector.fromArray(F, src, s + 6 * ld);
        FloatVector v7 = FloatVector.fromArray(F, src, s + 7 * ld);
        FloatVector v8 = FloatVector.fromArray(F, src, s + 8 * ld);
        FloatVector v9 = FloatVector.fromArray(F, src, s + 9 * ld);
        FloatVector v10 = FloatVector.fromArray(F, src, s + 10 * ld);
        FloatVector v11 = FloatVector.fromArray(F, src, s + 11 * ld);
        FloatVector v12 = FloatVector.fromArray(F, src, s + 12 * ld);
        FloatVector v13 = FloatVector.fromArray(F, src, s + 13 * ld);
        FloatVector v14 = FloatVector.fromArray(F, src, s + 14 * ld);
        FloatVector v15 = FloatVector.fromArray(F, src, s + 15 * ld);
        FloatVector t;
        // lanes swapped between vectors 1 apart
        t = v0.blend(v1.rearrange(UP1), ODD1); v1 = v0.rearrange(DOWN1).blend(v1, ODD1); v0 = t;
        t = v2.blend(v3.rearrange(UP1), ODD1); v3 = v2.rearrange(DOWN1).blend(v3, ODD1); v2 = t;
        t = v4.blend(v5.rearrange(UP1), ODD1); v5 = v4.rearrange(DOWN1).blend(v5, ODD1); v4 = t;
        t = v6.blend(v7.rearrange(UP1), ODD1); v7 = v6.rearrange(DOWN1).blend(v7, ODD1); v6 = t;
        t = v8.blend(v9.rearrange(UP1), ODD1); v9 = v8.rearrange(DOWN1).blend(v9, ODD1); v8 = t;
        t = v10.blend(v11.rearrange(UP1), ODD1); v11 = v10.rearrange(DOWN1).blend(v11, ODD1); v10 = t;
        t = v12.blend(v13.rearrange(UP1), ODD1); v13 = v12.rearrange(DOWN1).blend(v13, ODD1); v12 = t;
        t = v14.blend(v15.rearrange(UP1), ODD1); v15 = v14.rearrange(DOWN1).blend(v15, ODD1); v14 = t;
        // lanes swapped between vectors 2 apart
        t = v0.blend(v2.rearrange(UP2), ODD2); v2 = v0.rearrange(DOWN2).blend(v2, ODD2); v0 = t;
        t = v1.blend(v3.rearrange(UP2), ODD2); v3 = v1.rearrange(DOWN2).blend(v3, ODD2); v1 = t;
        t = v4.blend(v6.rearrange(UP2), ODD2); v6 = v4.rearrange(DOWN2).blend(v6, ODD2); v4 = t;
        t = v5.blend(v7.rearrange(UP2), ODD2); v7 = v5.rearrange(DOWN2).blend(v7, ODD2); v5 = t;
        t = v8.blend(v10.rearrange(UP2), ODD2); v10 = v8.rearrange(DOWN2).blend(v10, ODD2); v8 = t;
        t = v9.blend(v11.rearrange(UP2), ODD2); v11 = v9.rearrange(DOWN2).blend(v11, ODD2); v9 = t;
        t = v12.blend(v14.rearrange(UP2), ODD2); v14 = v12.rearrange(DOWN2).blend(v14, ODD2); v12 = t;
        t = v13.blend(v15.rearrange(UP2), ODD2); v15 = v13.rearrange(DOWN2).blend(v15, ODD2); v13 = t;
        // lanes swapped between vectors 4 apart
        t = v0.blend(v4.rearrange(UP4), ODD4); v4 = v0.rearrange(DOWN4).blend(v4, ODD4); v0 = t;
        t = v1.blend(v5.rearrange(UP4), ODD4); v5 = v1.rearrange(DOWN4).blend(v5, ODD4); v1 = t;
        t = v2.blend(v6.rearrange(UP4), ODD4); v6 = v2.rearrange(DOWN4).blend(v6, ODD4); v2 = t;
        t = v3.blend(v7.rearrange(UP4), ODD4); v7 = v3.rearrange(DOWN4).blend(v7, ODD4); v3 = t;
        t = v8.blend(v12.rearrange(UP4), ODD4); v12 = v8.rearrange(DOWN4).blend(v12, ODD4); v8 = t;
        t = v9.blend(v13.rearrange(UP4), ODD4); v13 = v9.rearrange(DOWN4).blend(v13, ODD4); v9 = t;
        t = v10.blend(v14.rearrange(UP4), ODD4); v14 = v10.rearrange(DOWN4).blend(v14, ODD4); v10 = t;
        t = v11.blend(v15.rearrange(UP4), ODD4); v15 = v11.rearrange(DOWN4).blend(v15, ODD4); v11 = t;
        // lanes swapped between vectors 8 apart
        t = v0.blend(v8.rearrange(UP8), ODD8); v8 = v0.rearrange(DOWN8).blend(v8, ODD8); v0 = t;
        t = v1.blend(v9.rearrange(UP8), ODD8); v9 = v1.rearrange(DOWN8).blend(v9, ODD8); v1 = t;
        t = v2.blend(v10.rearrange(UP8), ODD8); v10 = v2.rearrange(DOWN8).blend(v10, ODD8); v2 = t;
        t = v3.blend(v11.rearrange(UP8), ODD8); v11 = v3.rearrange(DOWN8).blend(v11, ODD8); v3 = t;
        t = v4.blend(v12.rearrange(UP8), ODD8); v12 = v4.rearrange(DOWN8).blend(v12, ODD8); v4 = t;
        t = v5.blend(v13.rearrange(UP8), ODD8); v13 = v5.rearrange(DOWN8).blend(v13, ODD8); v5 = t;
        t = v6.blend(v14.rearrange(UP8), ODD8); v14 = v6.rearrange(DOWN8).blend(v14, ODD8); v6 = t;
        t = v7.blend(v15.rearrange(UP8), ODD8); v15 = v7.rearrange(DOWN8).blend(v15, ODD8); v7 = t;
        v0.intoArray(dst, d);
        v1.intoArray(dst, d + w);
        v2.intoArray(dst, d + 2 * w);
        v3.intoArray(dst, d + 3 * w);
        v4.intoArray(dst, d + 4 * w);
        v5.intoArray(dst, d + 5 * w);
        v6.intoArray(dst, d + 6 * w);
        v7.intoArray(dst, d + 7 * w);
        v8.intoArray(dst, d + 8 * w);
        v9.intoArray(dst, d + 9 * w);
        v10.intoArray(dst, d + 10 * w);
        v11.intoArray(dst, d + 11 * w);
        v12.intoArray(dst, d + 12 * w);
        v13.intoArray(dst, d + 13 * w);
        v14.intoArray(dst, d + 14 * w);
        v15.intoArray(dst, d + 15 * w);
    }

    /** The shuffle whose lane {@code j} takes lane {@code j + by} (mod L). */
    private static VectorShuffle<Float> rotate(int by) {
        int[] from = new int[L];
        for (int j = 0; j < L; j++) {
            from[j] = Math.floorMod(j + by, L);
        }
        return VectorShuffle.fromArray(F, from, 0);
    }

    /** The lanes {@code j} with {@code j & bit != 0}. */
    private static VectorMask<Float> lanesWith(int bit) {
        boolean[] m = new boolean[L];
        for (int j = 0; j < L; j++) {
            m[j] = (j & bit) != 0;
        }
        return VectorMask.fromArray(F, m, 0);
    }

    @Override
    public int packedStride() {
        return PS;
    }

    @Override
    public int packedRowsA() {
        return PA;
    }

    @Override
    public String describe() {
        return "Vector API " + MR + "x" + NR + ", FloatVector " + F.vectorBitSize() + " bits";
    }

    @Override
    public void tile(int kc, float[] a, int ao, float[] b, int bo, int bRs, float alpha, float beta, float[] c,
                     int co, int ldc, int rows) {
        run(kc, a, ao, ao + 1, ao + 2, MR > 3 ? ao + 3 : ao + 2, MR, b, bo, bRs, null, 0, alpha, beta, c, co, ldc, rows,
                NR);
    }

    @Override
    public void tileGather(int kc, float[] a, int[] aRows, int aStep, float[] b, int bo, int bRs, int[] bRows,
                           int br, float alpha, float beta, float[] c, int co, int ldc, int rows, int cols) {
        run(kc, a, aRows[0], aRows[1], aRows[2], MR > 3 ? aRows[3] : aRows[2], aStep, b, bo, bRs, bRows, br, alpha, beta,
                c, co, ldc, rows, cols);
    }

    /**
     * The product goes straight to C when {@code alpha = 1}, {@code beta = 0} and the tile has all the rows and columns
     * of the body that computes it; otherwise to a per-thread tile that {@link #combine} then folds into C. A ragged
     * tile of at most 2L columns runs on a 2-vector body of 4 rows (under the 3×24 tile its fourth row repeats the
     * third and is dropped with the scratch tile, which therefore has 4 rows). Keeping alpha and beta out of the bodies keeps them small
     * enough for C1 to compile (a JIT tier the JVM falls back to after a deoptimisation) and their stores inlined by
     * C2 (when C2 stopped inlining a store helper, the accumulators passed to it were boxed on the heap). With 16
     * lanes, a full-width tile of at most 2 rows runs on a 2-row body, and a whole tile of a packed B with rows of A
     * in place or a packed A panel runs on a body whose indices have constant steps ({@code body4x4p1},
     * {@code body4x4p4}), so C2 drops their bounds checks from the loop: on an Intel Xeon with two 512-bit FMA units,
     * GEMM n = 512 to 2048 9-15% faster and the 3×3 convolution forwards 10-17% (JDK 25). With 8 lanes B's rows are
     * {@link #PS} apart; the 3×24 tile has two such bodies ({@code body3x3p1} for rows of A in place, {@code body3x3p4}
     * for a packed A panel of {@link #PA} rows), and the 4×24 tile one whose A step is a parameter ({@code body4x3p0}):
     * when A's indices are provable too, C2 hoists the four broadcasts of A above the FMAs and spills accumulators
     * (AVX2 has 16 registers), 1.4x slower.
     */
    private static void run(int kc, float[] a, int a0, int a1, int a2, int a3, int as, float[] b, int bo, int bRs,
                            int[] bRows, int br, float alpha, float beta, float[] c, int co, int ldc, int rows,
                            int cols) {
        boolean twoVectors = cols <= 2 * L;
        int width = twoVectors ? 2 * L : NR;
        int height = twoVectors ? 4 : WIDE && rows <= 2 ? 2 : MR;
        boolean direct = alpha == 1f && beta == 0f && rows == height && cols == width;
        float[] t = direct ? c : SCRATCH.get();
        int to = direct ? co : 0;
        int tl = direct ? ldc : NR;
        boolean packedB = bRs == PS && bRows == null;
        if (twoVectors) {
            VectorGemmBodies.body4x2(kc, a, a0, a1, a2, a3, as, b, bo, bRs, bRows, br, t, to, tl);
        } else if (MR == 3 && as == 1 && packedB) {
            VectorGemmBodies.body3x3p1(kc, a, a0, a1, a2, b, bo, t, to, tl);
        } else if (MR == 3 && as == 4 && packedB) {
            VectorGemmBodies.body3x3p4(kc, a, a0, a1, a2, b, bo, t, to, tl);
        } else if (MR == 4 && NR == 3 * L && packedB) {
            VectorGemmBodies.body4x3p0(kc, a, a0, a1, a2, a3, as, b, bo, t, to, tl);
        } else if (MR == 3) {
            VectorGemmBodies.body3x3(kc, a, a0, a1, a2, as, b, bo, bRs, bRows, br, t, to, tl);
        } else if (!WIDE) {
            VectorGemmBodies.body4x3(kc, a, a0, a1, a2, a3, as, b, bo, bRs, bRows, br, t, to, tl);
        } else if (height == MR && as == 1 && packedB) {
            VectorGemmBodies.body4x4p1(kc, a, a0, a1, a2, a3, b, bo, t, to, tl);
        } else if (height == MR && as == 4 && packedB) {
            VectorGemmBodies.body4x4p4(kc, a, a0, a1, a2, a3, b, bo, t, to, tl);
        } else if (height == MR) {
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
     * Eight rows at a time with 32 registers (four with 16), two vectors of columns at a time ({@code narrowR} of
     * {@link VectorGemmBodies}); needs {@code n ≥ L}, else the reference runs.
     */
    @Override
    public void narrow(int m, int h, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int bStep,
                       int[] bRows, float[] bias, int bOff, float[] c, int co, int cStep, int ldc) {
        if (n < L) {
            GemmKernel.super.narrow(m, h, n, k, a, ao, lda, b, bo, bStep, bRows, bias, bOff, c, co, cStep, ldc);
            return;
        }
        for (int r0 = 0; r0 < m; r0 += WIDE ? 8 : 4) {
            int rows = m - r0;
            if (WIDE) {
                VectorGemmBodies.narrow8(Math.min(8, rows), h, n, k, a, ao + r0 * lda, lda, b, bo, bStep, bRows,
                        bias, bOff + r0, c, co + r0 * ldc, cStep, ldc);
            } else {
                VectorGemmBodies.narrow4(Math.min(4, rows), h, n, k, a, ao + r0 * lda, lda, b, bo, bStep, bRows,
                        bias, bOff + r0, c, co + r0 * ldc, cStep, ldc);
            }
        }
    }
}
