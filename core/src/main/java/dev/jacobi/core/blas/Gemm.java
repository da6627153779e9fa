package dev.jacobi.core.blas;

import dev.jacobi.core.kernel.Alignment;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Workers;

/**
 * General matrix multiply on row-major arrays, BLAS style: {@code C = alpha·op(A)·op(B) + beta·C}, where
 * {@code op(A)} is {@code m×k} and {@code op(B)} is {@code k×n}. {@code transA} means {@code A} is stored as
 * {@code k×m} (so {@code op(A) = Aᵀ}), likewise {@code transB}. {@code lda}, {@code ldb}, {@code ldc} are the row
 * strides of the arrays as stored. {@code beta == 0} overwrites {@code C} (NaNs already there are ignored);
 * {@code alpha == 0} or {@code k == 0} only scales {@code C} and does not read {@code A} or {@code B}.
 *
 * <p>float32 runs BLIS style: panels of {@code op(B)} (and of a transposed {@code A}; rows of {@code A} are read in
 * place) are packed into reused per-thread buffers, blocked for the caches, and multiplied by a register-blocked
 * micro-kernel ({@link GemmKernel}); threads share the rows of {@code C} in pairs, so a share may end in a short
 * tile of 2 rows rather than in a whole one. {@code m == 1} or
 * {@code n == 1} runs as a matrix-vector product, and an output with fewer columns than a tile (a classifier's
 * logits) is computed as its transpose {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}, which fills the tiles. Work is split on
 * {@link Workers} over disjoint blocks of {@code C} only, and blocking over {@code k} is fixed, so results do not
 * depend on the thread count.
 */
public final class Gemm {
    /**
     * Maximum depth of a packed block with the 16-lane kernel (a 64-wide tile); k is split into equal blocks. 512
     * rather than 256 halves the passes over C for k = 784 and was 8-12% faster at 128×784×512 and n = 1024 on JDK 25
     * (neutral on JDK 17). With 16 lanes, whose tiles run in row-tile order, 1024 ran n = 2048 3% faster and n = 768
     * 3% slower (AMD EPYC Zen 4, 2026-12-07), so it stays.
     */
    static final int KC = 512;
    /**
     * Maximum depth with narrower tiles (8 lanes, the scalar kernel), which run in panel order ({@link #region}): a
     * packed B panel of 1024 × 32 floats (128 KiB) stays in L2 while the tiles of A stream past it, and the tiles walk
     * down C four rows at a time, a stride the hardware does not prefetch. Every pass over C after the first reads
     * each tile of C back once its FMAs are done and waits for memory, which a BLAS kernel hides by prefetching C and
     * Java cannot; fewer passes wait less. The micro-kernel alone ran 2-13% slower (three JVM starts) with its tile of
     * C read back from a 16 MiB array than written. GEMM with blocks of 1024 rather than 512 on two threads, AVX2, the
     * best round of 3-6 JVM starts: n = 2048 180-190 → 200-203 GFLOP/s on JDK 25 and 168-172 → 178-186 on JDK 17;
     * n = 768 and 1024 within the noise (AMD EPYC Zen 4, 2026-12-07). Blocks of 256 and 192 (a B panel in L1) ran
     * n = 2048 slower (171 and 162 against 190).
     */
    static final int KC_NARROW = 1024;
    /** Target rows of a packed A block ({@code MC×KC}, L2 together with the B block). */
    private static final int MC = 192;
    /**
     * With narrower tiles, at most {@link #MC} rows and at most this many floats in an A block (384 KiB): 96 rows of
     * 1024, which with a B panel of 128 KiB fill half of a 1 MiB L2; blocks of up to 512 keep their 192 rows.
     */
    private static final int A_BLOCK_NARROW = 96 * 1024;
    /** Target columns of a packed B block ({@code KC×NC}, up to the 1 MiB L2; 256 measured no faster). */
    private static final int NC = 512;
    /** Below this many stored floats, a non-transposed B is read in place rather than packed. */
    private static final long PACK_B_MIN = 1 << 16;
    /** Largest op(A), in floats, that is packed once for all threads (beyond it each thread packs its own). */
    private static final long SHARED_A_MAX = 1 << 21;
    /** How much better {@code Cᵀ} must fill the tiles before {@link #transposeFills} picks it (pays the copy). */
    private static final double TRANSPOSE_GAIN = 1.5;
    /**
     * Multiply-adds per task below which forking another thread does not pay: 2^17, about 2 µs on one core, against
     * a hand-off of well under 1 µs to a spinning pool thread (GEMM n = 64 on two threads 0.004 against 0.006 ms on
     * one, AMD EPYC Zen 4, JDK 25; 2^19 before).
     */
    private static final long MIN_FMA_PER_TASK = 1 << 17;

    public static final GemmKernel KERNEL = Backend.load("dev.jacobi.core.blas.VectorGemmKernel", GemmKernel.class,
            new ScalarGemmKernel());

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    private Gemm() {
    }

    /** Per-thread packing buffers, grown on demand and reused across calls. */
    private static final class Work {
        float[] a = new float[0];
        float[] b = new float[0];
        float[] t = new float[0];
        /** All of op(A), packed once and read by every thread of a call. */
        float[] s = new float[0];
        /** The transposed product of a narrow C. */
        float[] ct = new float[0];
        double[] d = new double[0];
        /** Where each row of a tile starts in an A read in place. */
        int[] rows = new int[0];

        float[] a(int n) {
            return a.length >= n ? a : (a = new float[n]);
        }

        float[] b(int n) {
            return b.length >= n ? b : (b = new float[n]);
        }

        float[] s(int n) {
            return s.length >= n ? s : (s = new float[n]);
        }

        float[] ct(int n) {
            return ct.length >= n ? ct : (ct = new float[n]);
        }

        float[] t(int n) {
            return t.length >= n ? t : (t = new float[n]);
        }

        int[] rows(int n) {
            return rows.length >= n ? rows : (rows = new int[n]);
        }

        double[] d(int n) {
            return d.length >= n ? d : (d = new double[n]);
        }
    }

    /** Single-precision GEMM; see the class comment for the contract. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        sgemm(KERNEL, Backend.KERNELS, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** {@link #sgemm} with an explicit micro-kernel and vector kernels (so tests can run both implementations). */
    static void sgemm(GemmKernel kr, Kernels kn, boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        check("sgemm", transA, transB, m, n, k, a == null ? -1 : a.length, aOff, lda, b == null ? -1 : b.length,
                bOff, ldb, c == null ? -1 : c.length, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            Workers.forRange(m, grain(n), (r0, r1) -> {
                for (int i = r0; i < r1; i++) {
                    for (int j = 0, o = cOff + i * ldc; j < n; j++, o++) {
                        c[o] = beta == 0f ? 0f : c[o] * beta;
                    }
                }
            });
        } else if (m == 1) {
            // c row = op(B)ᵀ · (row of op(A)): B stored n×k is dot form, k×n is axpy form.
            gemv(kn, transB, n, k, alpha, b, bOff, ldb, a, aOff, transA ? lda : 1, beta, c, cOff, 1);
        } else if (n == 1) {
            gemv(kn, !transA, m, k, alpha, a, aOff, lda, b, bOff, transB ? 1 : ldb, beta, c, cOff, ldc);
        } else if (!transA && transposeFills(kr, m, n)) {
            dotForm(kn, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else if (transposeFills(kr, m, n)) {
            // Cᵀ = op(B)ᵀ·op(A)ᵀ fills the micro-kernel's tiles where C's few columns would leave most of a tile
            // empty (the n = 10 logits of a classifier: 10 of 32 columns); the small Cᵀ is then written back
            float[] ct = WORK.get().ct(m * n);
            blocked(kr, !transB, !transA, n, m, k, alpha, b, bOff, ldb, a, aOff, lda, 0f, ct, 0, m);
            for (int i = 0; i < m; i++) {
                for (int j = 0, o = cOff + i * ldc; j < n; j++, o++) {
                    c[o] = GemmKernel.combine(ct[j * m + i], 1f, beta, c[o]);
                }
            }
        } else {
            blocked(kr, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    /**
     * A narrow {@code C} (few columns, e.g. the 10 logits of a classifier) from rows of {@code A} read in place:
     * {@code C[i, j] = alpha·dot(A[i, :], op(B)[:, j]) + beta·C[i, j]}, with the few columns of {@code op(B)} as
     * contiguous rows (read in place when {@code B} is stored transposed, else copied). Nothing of {@code A} is
     * packed; each sum is formed as {@link Kernels#dot} forms it, so the result does not depend on the thread count.
     */
    private static void dotForm(Kernels kn, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                                int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        float[] bt = b;
        int bo = bOff;
        int ldbt = ldb;
        if (!transB) {
            bt = WORK.get().s(n * k);
            bo = 0;
            ldbt = k;
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    bt[j * k + p] = b[bOff + p * ldb + j];
                }
            }
        }
        float[] src = bt;
        int so = bo;
        int ld = ldbt;
        // blocks of 4 rows, the kernel's row block
        Workers.forRange((m + 3) / 4, grain(4L * n * k), (r0, r1) -> {
            int i0 = r0 * 4;
            int i1 = Math.min(m, r1 * 4);
            float[] acc = WORK.get().ct((i1 - i0) * n);
            java.util.Arrays.fill(acc, 0, (i1 - i0) * n, 0f);
            kn.dots(a, aOff + i0 * lda, lda, i1 - i0, src, so, ld, n, k, acc, 0, n);
            for (int i = i0; i < i1; i++) {
                for (int j = 0, o = cOff + i * ldc; j < n; j++, o++) {
                    c[o] = GemmKernel.combine(acc[(i - i0) * n + j], alpha, beta, c[o]);
                }
            }
        });
    }

    /**
     * Whether computing {@code Cᵀ} uses the micro-kernel's tiles at least {@link #TRANSPOSE_GAIN} times better than
     * computing {@code C}: only for outputs narrower than a tile, whose transposed copy is small.
     */
    static boolean transposeFills(GemmKernel kr, int m, int n) {
        return n < kr.nr() && fill(kr, n, m) >= TRANSPOSE_GAIN * fill(kr, m, n);
    }

    /** The fraction of the micro-kernel's tiles an {@code m×n} output fills. */
    private static double fill(GemmKernel kr, int m, int n) {
        int mr = kr.mr();
        int nr = kr.nr();
        return (double) m / ((m + mr - 1) / mr * mr) * n / ((n + nr - 1) / nr * nr);
    }

    private static int grain(long work) {
        return (int) Math.max(1, MIN_FMA_PER_TASK / Math.max(1, work));
    }

    /**
     * {@code y = alpha·M·x + beta·y} for {@code y} of length {@code ny} at stride {@code ys} in {@code c}, {@code x}
     * of length {@code k} at stride {@code xs}; {@code M(i,p)} is {@code mat[mo + i·ld + p]} if {@code dotForm},
     * else {@code mat[mo + p·ld + i]}.
     */
    private static void gemv(Kernels kn, boolean dotForm, int ny, int k, float alpha, float[] mat, int mo, int ld,
                             float[] x, int xo, int xs, float beta, float[] c, int co, int ys) {
        float[] xv = x;
        int xoff = xo;
        if (xs != 1) {
            xv = WORK.get().b(k);
            for (int p = 0; p < k; p++) {
                xv[p] = x[xo + p * xs];
            }
            xoff = 0;
        }
        float[] xc = xv;
        int xc0 = xoff;
        if (dotForm) {
            Workers.forRange(ny, grain(k), (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    int o = co + i * ys;
                    c[o] = GemmKernel.combine(kn.dot(mat, mo + i * ld, xc, xc0, k), alpha, beta, c[o]);
                }
            });
            return;
        }
        // axpy form over blocks of 64 outputs, so that vector bodies and tails fall on the same indices for any split
        int units = (ny + 63) / 64;
        Workers.forRange(units, grain(64L * k), (u0, u1) -> {
            int i0 = u0 * 64;
            int len = Math.min(ny, u1 * 64) - i0;
            float[] acc = WORK.get().t(len);
            java.util.Arrays.fill(acc, 0, len, 0f);
            for (int p = 0; p < k; p++) {
                kn.axpy(xc[xc0 + p], mat, mo + p * ld + i0, acc, 0, len);
            }
            for (int i = 0; i < len; i++) {
                int o = co + (i0 + i) * ys;
                c[o] = GemmKernel.combine(acc[i], alpha, beta, c[o]);
            }
        });
    }

    private static void blocked(GemmKernel kr, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float beta, float[] c, int cOff, int ldc) {
        int mr = kr.mr();
        int nr = kr.nr();
        // decided from the whole problem, never from a thread's share, so every element is computed alike
        int tilesM = (m + mr - 1) / mr;
        // packing pays when a packed panel serves many row tiles; with one or two, B is read in place. With 16 lanes
        // and arrays on lines (Alignment) it pays from 16 row tiles whatever the size, since a row of B read in place
        // then starts 16 bytes into a line (n = 128 and 192: 25-30% and 23% faster on an Intel Xeon; with 8 lanes
        // n = 96 and 32×512×128 5% slower, so not there)
        boolean packB = transB || (long) k * n >= PACK_B_MIN && tilesM > 2
                || Alignment.FLOAT_PAD > 0 && nr >= 64 && tilesM >= 16;
        int tilesN = (n + nr - 1) / nr;
        // split the longer side, unless that side has too few tiles to share evenly (n = 192: 3 tiles on 2 threads)
        int t = Workers.threads();
        boolean splitN = tilesN * nr >= tilesM * mr
                && !(tilesN % t != 0 && tilesN < 4 * t && tilesM >= 4 * t);
        // rows are shared in pairs, not tiles, so the threads get equal rows (132 = 66 + 66 rather than 17 + 16 tiles of
        // 4); a share may end in a short tile, which the kernel computes with a body of 2 rows
        int units = splitN ? tilesN : (m + 1) / 2;
        long fmaPerUnit = (long) k * (splitN ? (long) m * nr : 2L * n);
        int grain = grain(fmaPerUnit);
        // every column block reads all of op(A): pack it once, shared by the threads, instead of once per block
        float[] ap = splitN && transA && units > grain && (long) tilesM * mr * k <= SHARED_A_MAX
                ? packAllA(kr, m, k, a, aOff, lda) : null;
        Workers.forRange(units, grain, (u0, u1) -> {
            int i0 = splitN ? 0 : u0 * 2;
            int i1 = splitN ? m : Math.min(m, u1 * 2);
            int j0 = splitN ? u0 * nr : 0;
            int j1 = splitN ? Math.min(n, u1 * nr) : n;
            region(kr, packB, transA, transB, k, alpha, a, aOff, lda, ap, b, bOff, ldb, beta, c, cOff, ldc,
                    i0, i1, j0, j1);
        });
    }

    /**
     * The tile of the Vector API kernel with 8 lanes (AVX2): {@code tile} is the value of {@code -Djacobi.gemm.tile}
     * ({@code 3x24}, {@code 4x16} or {@code 4x24}), or null for the default, 3×24 before JDK 25 and 4×24 from it.
     * The 4×24 tile keeps 12 accumulators, 3 loads of B and a broadcast of A in all of AVX2's 16 registers; JDK 17's
     * C2 compiles that body fast or, depending on the profile when it compiles, with accumulators spilled to the stack
     * on every step (2-3x slower, in most JVM starts of a training run). 3×24 (13 registers) compiled fast in every
     * JDK 17 start measured (14, in the comparison's order and convolutions first) and runs GEMM about 15% faster than
     * 4×16 (11 registers, the default before), which is kept as a choice; on JDK 25, which compiles 4×24 fast every
     * time, 3×24 ran the reference convolution forward 11-18% slower than 4×24 (13.9–14.8 against 12.5 ms). JDK
     * 18-24 were not measured. 16 lanes (AVX-512, 32 registers) always use 4×64.
     *
     * @return "3x24", "4x16" or "4x24"
     * @throws IllegalArgumentException naming the property and its value when it is none of those
     */
    static String eightLaneTile(String tile, int jdkFeature) {
        if (tile == null || tile.isBlank()) {
            return jdkFeature < 25 ? "3x24" : "4x24";
        }
        String t = tile.trim();
        if (!t.equals("3x24") && !t.equals("4x16") && !t.equals("4x24")) {
            throw new IllegalArgumentException(
                    "jacobi.gemm.tile: expected 3x24, 4x16 or 4x24 (the GEMM tile with 8-lane vectors), got " + tile);
        }
        return t;
    }

    /**
     * Whether {@link #region} runs a block's tiles in panel order (each B panel meets every tile of A): tiles
     * narrower than 64 columns (8 lanes, the scalar kernel), which also take deeper k blocks and smaller A blocks.
     */
    private static boolean panelOrder(GemmKernel kr) {
        return kr.nr() < 64;
    }

    /**
     * Depth of the k blocks {@link #region} uses: {@code k} split into equal blocks of at most {@link #KC} with a
     * 64-wide tile, {@link #KC_NARROW} with a narrower one.
     */
    private static int kcMax(GemmKernel kr, int k) {
        int depth = panelOrder(kr) ? KC_NARROW : KC;
        int blocks = (k + depth - 1) / depth;
        return (k + blocks - 1) / blocks;
    }

    /**
     * Packs all of {@code op(A)} into the calling thread's buffer, panels split over the threads: k block {@code q}
     * (at depth {@code pc}) starts at {@code pc·mPad}, and its panel {@code s} at {@code pc·mPad + s·pa·kc}, where
     * {@code pa} is the kernel's {@link GemmKernel#packedRowsA}.
     */
    private static float[] packAllA(GemmKernel kr, int m, int k, float[] a, int aOff, int lda) {
        int mr = kr.mr();
        int tilesM = (m + mr - 1) / mr;
        int pa = kr.packedRowsA();
        int mPad = tilesM * pa;
        float[] ap = WORK.get().s(mPad * k);
        int kcMax = kcMax(kr, k);
        Workers.forRange(tilesM, Math.max(1, (1 << 15) / (mr * k)), (s0, s1) -> {
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                for (int s = s0; s < s1; s++) {
                    packA(a, aOff, lda, pc, kc, s * mr, Math.min(mr, m - s * mr), pa, ap,
                            pc * mPad + s * pa * kc);
                }
            }
        });
        return ap;
    }

    /** Computes the block {@code C[i0..i1) × [j0..j1)} on the calling thread. */
    private static void region(GemmKernel kr, boolean packB, boolean transA, boolean transB, int k, float alpha,
                               float[] a, int aOff, int lda, float[] allA, float[] b, int bOff, int ldb,
                               float beta, float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1) {
        int mr = kr.mr();
        int nr = kr.nr();
        int ps = kr.packedStride();
        int kcMax = kcMax(kr, k);
        // the tiles of a block in row-tile order (each tile of A meets every panel of B in turn) with 16 lanes (a 64-wide
        // tile), else (8 lanes, the scalar kernel) in panel order (each panel of B meets every tile of A, as BLIS orders
        // them): 2-10% faster with 8 lanes at n = 256 to 2048 and 128×784×512 on JDK 25, no slower on JDK 17; with 16
        // lanes no faster on JDK 25, and n = 256 slower in one of two JVM starts on JDK 17 (bench/RESULTS.md)
        boolean bOuter = panelOrder(kr);
        int mcMax = Math.max(mr, (bOuter ? Math.min(MC, A_BLOCK_NARROW / kcMax) : MC) / mr * mr);
        int ncMax = Math.max(nr, NC / nr * nr);
        Work w = WORK.get();
        // rows of A are read in place by the kernel (a stream per row of the tile): packing them transposed cost 10%
        // of n = 256; a transposed A is packed, since its panels are rows of the array
        boolean inPlace = !transA && allA == null;
        int[] aRows = w.rows(mr);
        int pa = kr.packedRowsA();
        int mPad = allA == null ? 0 : (i1 - i0 + mr - 1) / mr * pa;
        for (int pc = 0; pc < k; pc += kcMax) {
            int kc = Math.min(kcMax, k - pc);
            float betaP = pc == 0 ? beta : 1f;
            for (int jc = j0, nc; jc < j1; jc += nc) {
                // a block takes in a last panel that would otherwise make a block of its own, a whole pass over A for
                // one panel (n = 1024 with 8 lanes: a thread's 520 columns are one block, not 504 + 16)
                nc = j1 - jc <= ncMax + nr ? j1 - jc : ncMax;
                int panelsN = (nc + nr - 1) / nr;
                // panels start on cache lines when the JVM aligns arrays to them (Alignment): a packed panel is read
                // a whole vector at a time
                float[] bp = w.b(Alignment.FLOAT_PAD + panelsN * ps * kc);
                if (transB) {
                    for (int t = 0; t < panelsN; t++) {
                        kr.packTransposed(b, bOff + (jc + t * nr) * ldb + pc, ldb, kc, Math.min(nr, nc - t * nr), nr,
                                ps, bp, Alignment.FLOAT_PAD + t * ps * kc);
                    }
                } else if (packB || nc % nr != 0) {
                    // all panels row by row, so B is read in order (a run of 24 floats per panel and row took one call
                    // of System.arraycopy each, 3-5% of GEMM n = 1024 on one core with 8 lanes); a B read in place has
                    // only its ragged last panel packed
                    int t0 = packB ? 0 : panelsN - 1;
                    kr.packRows(b, bOff + pc * ldb + jc + t0 * nr, ldb, kc, nc - t0 * nr, ps, bp,
                            Alignment.FLOAT_PAD + t0 * ps * kc);
                }
                for (int ic = i0; ic < i1; ic += mcMax) {
                    int mc = Math.min(mcMax, i1 - ic);
                    int panelsM = (mc + mr - 1) / mr;
                    float[] ap = allA;
                    int a0 = pc * mPad + (ic - i0) / mr * pa * kc;
                    if (allA == null && !inPlace) {
                        ap = w.a(panelsM * pa * kc);
                        a0 = 0;
                        for (int s = 0; s < panelsM; s++) {
                            packA(a, aOff, lda, pc, kc, ic + s * mr, Math.min(mr, mc - s * mr), pa, ap,
                                    s * pa * kc);
                        }
                    }
                    for (int q = 0; q < panelsM * panelsN; q++) {
                        int t = bOuter ? q / panelsM : q % panelsN;
                        int s = bOuter ? q % panelsM : q / panelsN;
                        int cols = Math.min(nr, nc - t * nr);
                        int col = jc + t * nr;
                        float[] bsrc = bp;
                        int bo = Alignment.FLOAT_PAD + t * ps * kc;
                        int bRs = ps;
                        if (!packB && cols == nr) {
                            bsrc = b;
                            bo = bOff + pc * ldb + col;
                            bRs = ldb;
                        }
                        int rows = Math.min(mr, mc - s * mr);
                        for (int r = 0; r < mr; r++) { // rows past the tile repeat its last, unwritten
                            aRows[r] = inPlace ? aOff + (ic + s * mr + Math.min(r, rows - 1)) * lda + pc
                                    : a0 + s * pa * kc + r;
                        }
                        // a ragged last panel computes only its columns (with 16 lanes, 16 of 64 at n = 784 run on a
                        // 2-vector body)
                        kr.tileGather(kc, inPlace ? a : ap, aRows, inPlace ? 1 : pa, bsrc, bo, bRs, null, 0, alpha,
                                betaP, c, cOff + (ic + s * mr) * ldc + col, ldc, rows, cols);
                    }
                }
            }
        }
    }

    /**
     * Packs {@code op(A)[row0..row0+rows) × [pc..pc+kc)} of a transposed {@code A} (each packed row is a run of the
     * array) as {@code dst[off + p·pa + r]}, zero-padding to {@code pa} rows. Rows of a plain {@code A} are read in
     * place.
     * A plain loop rather than an {@code arraycopy} of 4 or 6 floats per depth: with it, {@code Aᵀ·B} at 128×512×512
     * with AVX2 took 0.46–0.83 ms in separate JVM starts while testing, with the loop 0.40 (the full comparisons gave
     * 0.418 ms with either, bench/RESULTS.md).
     */
    private static void packA(float[] a, int aOff, int lda, int pc, int kc, int row0, int rows, int pa, float[] dst,
                              int off) {
        for (int p = 0; p < kc; p++) {
            int d = off + p * pa;
            int s = aOff + (pc + p) * lda + row0;
            for (int r = 0; r < rows; r++) {
                dst[d + r] = a[s + r];
            }
            for (int r = rows; r < pa; r++) {
                dst[d + r] = 0f;
            }
        }
    }

    /** Double-precision GEMM (the verification path); see the class comment for the contract. */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                             double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                             double beta, double[] c, int cOff, int ldc) {
        check("dgemm", transA, transB, m, n, k, a == null ? -1 : a.length, aOff, lda, b == null ? -1 : b.length,
                bOff, ldb, c == null ? -1 : c.length, cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        boolean scaleOnly = k == 0 || alpha == 0;
        // rows of C in parallel; op(B) is packed per k block as a contiguous kc×n row-major block per thread
        Workers.forRange(m, grain((long) n * Math.max(1, k)), (r0, r1) -> {
            for (int i = r0; i < r1; i++) {
                for (int j = 0, o = cOff + i * ldc; j < n; j++, o++) {
                    c[o] = beta == 0 ? 0 : beta == 1 ? c[o] : c[o] * beta;
                }
            }
            if (scaleOnly) {
                return;
            }
            double[] bp = WORK.get().d(Math.min(KC, k) * n);
            double[] row = new double[n];
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                for (int p = 0; p < kc; p++) {
                    for (int j = 0; j < n; j++) {
                        bp[p * n + j] = transB ? b[bOff + j * ldb + pc + p] : b[bOff + (pc + p) * ldb + j];
                    }
                }
                for (int i = r0; i < r1; i++) {
                    java.util.Arrays.fill(row, 0);
                    for (int p = 0; p < kc; p++) {
                        double aip = transA ? a[aOff + (pc + p) * lda + i] : a[aOff + i * lda + pc + p];
                        for (int j = 0, q = p * n; j < n; j++) {
                            row[j] += aip * bp[q + j];
                        }
                    }
                    for (int j = 0, o = cOff + i * ldc; j < n; j++, o++) {
                        c[o] += alpha * row[j];
                    }
                }
            }
        });
    }

    /** Validates the GEMM arguments, naming {@code op} and the offending values in the message. */
    private static void check(String op, boolean transA, boolean transB, int m, int n, int k, int aLen, int aOff,
                              int lda, int bLen, int bOff, int ldb, int cLen, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(op + ": negative size m=" + m + ", n=" + n + ", k=" + k);
        }
        operand(op, "A", aLen, aOff, lda, transA ? k : m, transA ? m : k);
        operand(op, "B", bLen, bOff, ldb, transB ? n : k, transB ? k : n);
        operand(op, "C", cLen, cOff, ldc, m, n);
    }

    private static void operand(String op, String name, int len, int off, int ld, int rows, int cols) {
        if (len < 0) {
            throw new IllegalArgumentException(op + ": array " + name + " is null");
        }
        if (off < 0 || ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(op + ": " + name + " stored as " + rows + "x" + cols + " needs offset >= 0"
                    + " and leading dim >= " + Math.max(1, cols) + ", got offset " + off + ", ld " + ld);
        }
        long last = rows == 0 || cols == 0 ? 0 : off + (long) (rows - 1) * ld + cols;
        if (last > len) {
            throw new IllegalArgumentException(op + ": " + name + " stored as " + rows + "x" + cols + " at offset " + off
                    + " with leading dim " + ld + " needs " + last + " elements, array has " + len);
        }
    }
}
