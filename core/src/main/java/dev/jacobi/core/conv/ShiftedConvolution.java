package dev.jacobi.core.conv;

import dev.jacobi.core.blas.Buf;
import dev.jacobi.core.blas.Dense;
import dev.jacobi.core.blas.Gemm;
import dev.jacobi.core.blas.GemmKernel;
import dev.jacobi.core.kernel.Alignment;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.CachingAllocator;
import dev.jacobi.core.kernel.Dims;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Workers;
import java.util.Arrays;
import java.util.function.ObjIntConsumer;
import java.util.function.Supplier;

/**
 * The float32 stride-1 convolution kernels (with the Vector API): nothing is lowered. The input is copied once into
 * padded planes, where every row of the column matrix is a shifted slice, read in place by gathered GEMM tiles
 * ({@link GemmKernel#tileGather}) over output tiles of the padded grid; up to {@link #NARROW_K} taps per group the
 * forward writes rows of outputs directly ({@link GemmKernel#narrow}). The input adjoint is the convolution of the
 * padded gradient with the flipped kernel, the weight adjoint a GEMM over all positions. Work is split over disjoint
 * outputs (or fixed image chunks), so results do not depend on the thread count.
 */
final class ShiftedConvolution {
    private ShiftedConvolution() {
    }

    /**
     * Whether float32 stride-1 convolutions run on shifted rows of a padded copy. The only mutable static state of
     * the kernels: the library never writes it, only tests do, to compare the two paths; concurrent trainings read
     * the same value, so they give the results of sequential ones (TrainerTest checks it).
     */
    static volatile boolean shiftedPath = Backend.vectorized();
    /** Columns (output positions on the padded grid) computed per parallel work unit of the shifted forward. */
    private static final int UNIT_COLS = 128;
    /** Maximum depth of a k block of the shifted forward (taps) and of the weight adjoint (positions). */
    private static final int KC_TAPS = 1024;
    private static final int KC_POS = 256;
    /** Fixed number of partial sums of the weight adjoint (more only cost memory; fewer limit the threads). */
    private static final int MAX_CHUNKS = 16;
    /**
     * Below this many output channels per group the shifted forward sums shifted planes (GEMM rows would idle), and
     * the input adjoint keeps the lowering (padding the whole gradient would cost more than the products).
     */
    static final int MIN_ROWS = 4;
    /** Up to this many taps per group ({@code Cin/G·kh·kw}) the forward runs {@link GemmKernel#narrow} directly. */
    static final int NARROW_K = 32;
    /** Output channels per call of {@link GemmKernel#narrow} (the vector kernel's row block). */
    private static final int NARROW_ROWS = 8;

    static boolean shifted(Dense x, Geometry g) {
        return shiftedPath && x.isFloat() && g.s().strideH() == 1 && g.s().strideW() == 1 && g.kg() > 0
                && g.coutG() > 0;
    }

    /**
     * Copies the {@code n·c} planes ({@code n, c, h, w} of {@code g}, i.e. {@code h×w} each) of {@code t} into planes
     * of {@code hp×wp}: {@code out[k·hp·wp + r·wp + q] = t[k, r − top, q − left]}, 0 outside the plane (wrapped when
     * {@code circular}); {@code top}/{@code left} may be negative (cropping). Trailing slack lets a tile of the
     * shifted forward read past the last plane.
     */
    static float[] padded(String op, Dense t, Geometry g) {
        int ph = g.s().padH();
        return padded(op, t, g, ph, g.s().padW(), g.h() + 2 * ph, gridWidth(g), g.s().circular());
    }

    /** Row width of the padded planes of {@link #padded(String, Dense, Geometry)}: see {@link #rowWidth}. */
    static int gridWidth(Geometry g) {
        int pw = g.s().padW();
        return g.s().circular() ? g.w() + 2 * pw : rowWidth(pw, g.w(), g.wo(), g.kw(), g.s().dilationW());
    }

    /**
     * Row width of zero-padded planes for the shifted kernels: {@code left} zeros, the {@code w} columns, then zeros,
     * for outputs {@code wo} wide. A tap that reads past a row's columns lands on the next row's leading zeros, so
     * the trailing zeros need only cover what those do not: a 3×3 kernel with padding 1 needs one zero column
     * between rows, not two, and its grid of output positions is 29 wide for 28 outputs rather than 30, which saves
     * 1/30 of the products and of the copy.
     */
    static int rowWidth(int left, int w, int wo, int kw, int dw) {
        return Math.max(Math.max(left + w, wo), wo + (kw - 1) * dw - Math.max(0, left));
    }

    /** {@link #padded(String, Dense, Geometry)} with explicit placement (the input adjoint's grid). */
    static float[] padded(String op, Dense t, Geometry g, int top, int left, int hp, int wp, boolean circular) {
        int planes = g.n() * g.cin();
        int h = g.h();
        int w = g.w();
        int plane = hp * wp;
        float[] src = t.floats();
        int so = t.offset();
        int body = Dims.numel(new int[] {planes, hp, wp}, op);
        float[] out = scratch(body + Gemm.KERNEL.nr() + wp);
        // the buffer is reused, so every element is written: the planes here, the trailing slack with zeros
        Arrays.fill(out, body, body + Gemm.KERNEL.nr() + wp, 0f);
        Workers.forRange(planes, Math.max(1, (1 << 14) / Math.max(1, plane)), (k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                for (int r = 0; r < hp; r++) {
                    int sr = circular ? Math.floorMod(r - top, h) : r - top;
                    int d = k * plane + r * wp;
                    if (sr < 0 || sr >= h) {
                        Arrays.fill(out, d, d + wp, 0f);
                        continue;
                    }
                    int s = so + (k * h + sr) * w;
                    if (circular) {
                        for (int q = 0; q < wp; q++) {
                            out[d + q] = src[s + Math.floorMod(q - left, w)];
                        }
                    } else {
                        // zeros, then the row's columns [lo, hi), then zeros
                        int lo = Math.min(wp, Math.max(0, left));
                        int hi = Math.max(lo, Math.min(wp, left + w));
                        Arrays.fill(out, d, d + lo, 0f);
                        if (hi > lo) {
                            System.arraycopy(src, s + lo - left, out, d + lo, hi - lo);
                        }
                        Arrays.fill(out, d + hi, d + wp, 0f);
                    }
                }
            }
        });
        return out;
    }

    /** Largest padded copy, in floats, that a thread keeps for its next convolution (64 MiB). */
    private static final int SCRATCH_MAX = 1 << 24;
    private static final ThreadLocal<float[]> SCRATCH = new ThreadLocal<>();

    /**
     * The calling thread's buffer for padded planes, of at least {@code n} floats, with arbitrary contents. Reusing it
     * saves the JVM's zeroing of a fresh array on the calling thread (0.3 ms for the 7 MB copy of the reference
     * workload, with the other threads idle); the buffer is used only until the op that asked for it returns.
     */
    private static float[] scratch(int n) {
        float[] b = SCRATCH.get();
        if (b != null && b.length >= n) {
            return b;
        }
        b = new float[n];
        if (n <= SCRATCH_MAX) {
            SCRATCH.set(b);
        }
        return b;
    }

    /** Offsets of the taps {@code (c, p, q)} of one group in padded planes: {@code c·hp·wp + p·dh·wp + q·dw}. */
    private static int[] tapRows(Geometry g, int plane, int wp) {
        int taps = g.kh() * g.kw();
        int[] rows = new int[g.kg()];
        for (int i = 0; i < g.kg(); i++) {
            int c = i / taps;
            int p = i % taps / g.kw();
            int q = i % g.kw();
            rows[i] = c * plane + p * g.s().dilationH() * wp + q * g.s().dilationW();
        }
        return rows;
    }

    /** Depth of equal k blocks of at most {@code max} covering {@code k}. */
    private static int blockDepth(int k, int max) {
        int blocks = (k + max - 1) / max;
        return (k + blocks - 1) / blocks;
    }

    /**
     * Stride-1 convolution of padded planes {@code xp} ({@code n·cin} planes of {@code hp×wp}) with {@code w}
     * ({@code [cout, cin/G, kh, kw]} at {@code wOff}) as in {@link #conv2d}: {@code y[n,o,i,j] = b[o] + Σ_{c,p,q}
     * w[o,c,p,q]·xp[n, c, i + p·dh, j + q·dw]}, {@code g} giving kernel, dilation and groups ({@code kg}) and
     * {@code ho×wo} (its {@code ho}, {@code wo}). Each row of the implicit column matrix is a shifted slice of
     * {@code xp}, so nothing is lowered: output positions {@code i·wp + j} of the padded grid are computed in tiles
     * of nr ({@code j ≥ wo} is discarded) into a per-thread buffer, then copied out.
     */
    static float[] shiftedConv(float[] xp, int wp, float[] w, int wOff, Geometry g, float[] b, int bo) {
        GemmKernel kr = Gemm.KERNEL;
        int n = g.n();
        int cin = g.cin();
        int cout = g.cout();
        int hp = g.ho() + g.s().dilationH() * (g.kh() - 1);
        int mr = kr.mr();
        int nr = kr.nr();
        int ho = g.ho();
        int wo = g.wo();
        int groups = g.groups();
        int cinG = cin / groups;
        int coutG = cout / groups;
        int kg = g.kg();
        int plane = hp * wp;
        int panels = (coutG + mr - 1) / mr;
        int[] rows = tapRows(g, plane, wp);
        float[] y = CachingAllocator.floats(Dims.numel(new int[] {n, cout, ho, wo}, "conv2d"));
        if (coutG < MIN_ROWS) {
            // few output channels: each is a sum of kg shifted planes
            Kernels kn = Backend.KERNELS;
            int span = ho * wp;
            Workers.forRange(n * cout, Math.max(1, (1 << 16) / Math.max(1, kg * span)), (u0, u1) -> {
                float[] acc = new float[span];
                for (int u = u0; u < u1; u++) {
                    int o = u % cout;
                    int xo = (u / cout * cin + o / coutG * cinG) * plane;
                    Arrays.fill(acc, 0f);
                    for (int p = 0; p < kg; p++) {
                        kn.axpy(w[wOff + o * kg + p], xp, xo + rows[p], acc, 0, span);
                    }
                    float bias = b == null ? 0f : b[bo + o];
                    for (int i = 0, d = u * ho * wo; i < ho; i++, d += wo) {
                        for (int j = 0; j < wo; j++) {
                            y[d + j] = acc[i * wp + j] + bias;
                        }
                    }
                }
            });
            return y;
        }
        if (kg <= NARROW_K) {
            // few taps: whole output planes of NARROW_ROWS channels at a time, straight into y, so that the writes
            // run on few streams (all channels of one output row at a time wrote 32 planes side by side)
            int blocks = (coutG + NARROW_ROWS - 1) / NARROW_ROWS;
            Workers.forRange(n * groups * blocks, Math.max(1, (1 << 16) / Math.max(1, NARROW_ROWS * ho * wo * kg)),
                    (u0, u1) -> {
                        for (int u = u0; u < u1; u++) {
                            int img = u / (groups * blocks);
                            int grp = u / blocks % groups;
                            int o0 = u % blocks * NARROW_ROWS;
                            int m = Math.min(NARROW_ROWS, coutG - o0);
                            int oc = grp * coutG + o0;
                            kr.narrow(m, ho, wo, kg, w, wOff + oc * kg, kg, xp, (img * cin + grp * cinG) * plane,
                                    wp, rows, b, bo + oc, y, (img * cout + oc) * ho * wo, wo, ho * wo);
                        }
                    });
            return y;
        }
        // weights packed per group and panel of mr rows: ap[((grp·panels + s)·kg + p)·mr + r] = w[grp·coutG + s·mr + r, p]
        float[] ap = new float[groups * panels * kg * mr];
        for (int o = 0; o < cout; o++) {
            int grp = o / coutG;
            int s = o % coutG / mr;
            int base = (grp * panels + s) * kg * mr + o % coutG % mr;
            for (int p = 0; p < kg; p++) {
                ap[base + p * mr] = w[wOff + o * kg + p];
            }
        }
        int kc = blockDepth(kg, KC_TAPS);
        int span = ho * wp;
        int ldc = Math.max(nr, UNIT_COLS / nr * nr);
        int units = (span + ldc - 1) / ldc;
        Workers.forRange(n * units, 1, (u0, u1) -> {
            float[] acc = new float[panels * mr * ldc];
            int[] aRows = new int[mr];
            for (int u = u0; u < u1; u++) {
                int img = u / units;
                int c0 = u % units * ldc;
                int c1 = Math.min(span, c0 + ldc);
                for (int grp = 0; grp < groups; grp++) {
                    int xo = (img * cin + grp * cinG) * plane;
                    for (int t = c0; t < c1; t += nr) {
                        for (int pc = 0; pc < kg; pc += kc) {
                            int k = Math.min(kc, kg - pc);
                            for (int s = 0; s < panels; s++) {
                                int a0 = ((grp * panels + s) * kg + pc) * mr;
                                for (int r = 0; r < mr; r++) {
                                    aRows[r] = a0 + r;
                                }
                                kr.tileGather(k, ap, aRows, mr, xp, xo + t, 0, rows, pc, 1f, pc == 0 ? 0f : 1f,
                                        acc, s * mr * ldc + t - c0, ldc, Math.min(mr, coutG - s * mr),
                                        Math.min(nr, c1 - t));
                            }
                        }
                    }
                    int yo = (img * cout + grp * coutG) * ho * wo;
                    for (int o = 0; o < coutG; o++) {
                        for (int i = c0 / wp; i * wp < c1; i++) {
                            int j0 = Math.max(0, c0 - i * wp);
                            int j1 = Math.min(wo, c1 - i * wp);
                            if (j1 <= j0) {
                                continue; // this unit ends inside the discarded columns of row i
                            }
                            int src = o * ldc + i * wp - c0 + j0;
                            int dst = yo + o * ho * wo + i * wo + j0;
                            if (b == null) {
                                System.arraycopy(acc, src, y, dst, j1 - j0);
                            } else { // a plain loop: rows are often shorter than a vector (14 on a 14×14 plane)
                                float bias = b[bo + grp * coutG + o];
                                for (int j = 0; j < j1 - j0; j++) {
                                    y[dst + j] = acc[src + j] + bias;
                                }
                            }
                        }
                    }
                }
            }
        });
        return y;
    }

    /**
     * The stride-1 weight adjoint for few taps per group ({@code kg ≤ NARROW_K}, e.g. a first layer), in dot form:
     * {@code gw[o, t] = Σ_n gy[n, o, :]·col_n[t, :]}, where row {@code t} of {@code col_n} is tap {@code t}'s shifted
     * slice of {@code xp} compacted to {@code ho×wo}. Images are summed in {@code min(N, 16)} fixed chunks, so the
     * result does not depend on the thread count. With {@code perImage}, each image is then handed to it with a
     * buffer from {@code buffer} (one per task), while the image's slice of {@code gy} is in cache.
     */
    static float[] narrowWeight(float[] xp, int wp, float[] gy, int gyOff, Geometry g,
                                        Supplier<Buf> buffer,
                                        ObjIntConsumer<Buf> perImage) {
        Kernels kn = Backend.KERNELS;
        int ho = g.ho();
        int wo = g.wo();
        int hw = ho * wo;
        int kg = g.kg();
        int coutG = g.coutG();
        int cinG = g.cin() / g.groups();
        int plane = (ho + g.s().dilationH() * (g.kh() - 1)) * wp;
        int[] rows = tapRows(g, plane, wp);
        int chunks = Math.max(1, Math.min(g.n(), MAX_CHUNKS));
        float[][] parts = new float[chunks][];
        Workers.forRange(chunks, 1, (c0, c1) -> {
            float[] col = new float[kg * hw];
            Buf buf = buffer.get();
            for (int c = c0; c < c1; c++) {
                float[] part = new float[g.cout() * kg];
                for (int img = (int) ((long) g.n() * c / chunks); img < (long) g.n() * (c + 1) / chunks; img++) {
                    for (int grp = 0; grp < g.groups(); grp++) {
                        int xo = (img * g.cin() + grp * cinG) * plane;
                        for (int t = 0; t < kg; t++) {
                            for (int i = 0; i < ho; i++) {
                                System.arraycopy(xp, xo + rows[t] + i * wp, col, t * hw + i * wo, wo);
                            }
                        }
                        kn.dots(gy, gyOff + (img * g.cout() + grp * coutG) * hw, hw, coutG, col, 0, hw, kg, hw, part,
                                grp * coutG * kg, kg);
                    }
                    if (perImage != null) {
                        perImage.accept(buf, img);
                    }
                }
                parts[c] = part;
            }
        });
        for (int c = 1; c < chunks; c++) {
            Backend.KERNELS.axpy(1f, parts[c], 0, parts[0], 0, g.cout() * kg);
        }
        return parts[0];
    }

    /**
     * Stride-1 weight adjoint from padded input planes {@code xp} (rows {@code wp} wide, see {@link #padded}) and
     * {@code gy}: {@code gw[o, c, p, q] = Σ_{n,i,j} gy[n,o,i,j]·xp[n, c, i + p·dh, j + q·dw]}, computed transposed as
     * {@code Σ_n X_n·GY_nᵀ} where row {@code (c,p,q)} of {@code X_n} is a shifted slice of {@code xp} read in place and
     * {@code GY_nᵀ} is packed per k block (zero at the discarded grid columns {@code j ≥ wo}). Images are summed
     * in {@code min(N, 16)} fixed chunks, so the result does not depend on the thread count.
     */
    static float[] shiftedWeight(float[] xp, int wp, float[] gy, int gyOff, Geometry g) {
        GemmKernel kr = Gemm.KERNEL;
        int mr = kr.mr();
        int nr = kr.nr();
        int ps = kr.packedStride();
        int hp = g.ho() + g.s().dilationH() * (g.kh() - 1);
        int plane = hp * wp;
        int ho = g.ho();
        int wo = g.wo();
        int cinG = g.cin() / g.groups();
        int coutG = g.coutG();
        int kg = g.kg();
        int span = ho * wp;
        int[] rows = tapRows(g, plane, wp);
        int rowsPad = (kg + mr - 1) / mr * mr;
        int colPanels = (coutG + nr - 1) / nr;
        int ldp = colPanels * nr;
        int size = g.groups() * rowsPad * ldp;
        int kc = blockDepth(span, KC_POS);
        int chunks = Math.max(1, Math.min(g.n(), MAX_CHUNKS));
        float[][] parts = new float[chunks][];
        Workers.forRange(chunks, 1, (c0, c1) -> {
            // panels start on cache lines when the JVM aligns arrays to them (Alignment)
            int pad = Alignment.FLOAT_PAD;
            float[] bp = new float[pad + colPanels * ps * kc];
            int[] aRows = new int[mr];
            int[] at = new int[kc];
            for (int c = c0; c < c1; c++) {
                float[] part = new float[size];
                for (int img = (int) ((long) g.n() * c / chunks); img < (long) g.n() * (c + 1) / chunks; img++) {
                    for (int grp = 0; grp < g.groups(); grp++) {
                        int xo = (img * g.cin() + grp * cinG) * plane;
                        int go = gyOff + (img * g.cout() + grp * coutG) * ho * wo;
                        for (int pc = 0; pc < span; pc += kc) {
                            int k = Math.min(kc, span - pc);
                            // bp[t·ps·kc + p·ps + o % nr] = gy[o, pc + p] on the grid (columns past coutG stay 0);
                            // at[p] is grid position pc + p in a ho×wo plane, or -1 at the discarded columns
                            for (int p = 0, i = pc / wp, j = pc % wp; p < k; p++) {
                                at[p] = j < wo ? i * wo + j : -1;
                                if (++j == wp) {
                                    j = 0;
                                    i++;
                                }
                            }
                            // four channels side by side (nr is a multiple of four, so they share a panel), so
                            // that each row of bp is written in runs of four rather than one value per pass
                            int o = 0;
                            for (; o + 4 <= coutG; o += 4) {
                                int s0 = go + o * ho * wo;
                                int s1 = s0 + ho * wo;
                                int s2 = s1 + ho * wo;
                                int s3 = s2 + ho * wo;
                                for (int p = 0, d = pad + o / nr * ps * kc + o % nr; p < k; p++, d += ps) {
                                    int q = at[p];
                                    boolean in = q >= 0;
                                    bp[d] = in ? gy[s0 + q] : 0f;
                                    bp[d + 1] = in ? gy[s1 + q] : 0f;
                                    bp[d + 2] = in ? gy[s2 + q] : 0f;
                                    bp[d + 3] = in ? gy[s3 + q] : 0f;
                                }
                            }
                            for (; o < coutG; o++) {
                                int src = go + o * ho * wo;
                                for (int p = 0, d = pad + o / nr * ps * kc + o % nr; p < k; p++, d += ps) {
                                    bp[d] = at[p] >= 0 ? gy[src + at[p]] : 0f;
                                }
                            }
                            for (int t = 0; t < colPanels; t++) {
                                for (int s = 0; s < rowsPad; s += mr) {
                                    for (int r = 0; r < mr; r++) {
                                        aRows[r] = xo + rows[Math.min(s + r, kg - 1)] + pc;
                                    }
                                    kr.tileGather(k, xp, aRows, 1, bp, pad + t * ps * kc, ps, null, 0, 1f, 1f, part,
                                            (grp * rowsPad + s) * ldp + t * nr, ldp, Math.min(mr, kg - s), nr);
                                }
                            }
                        }
                    }
                }
                parts[c] = part;
            }
        });
        for (int c = 1; c < chunks; c++) {
            Backend.KERNELS.axpy(1f, parts[c], 0, parts[0], 0, size);
        }
        float[] gw = new float[g.cout() * kg];
        for (int o = 0; o < g.cout(); o++) {
            int grp = o / coutG;
            for (int q = 0; q < kg; q++) {
                gw[o * kg + q] = parts[0][(grp * rowsPad + q) * ldp + o % coutG];
            }
        }
        return gw;
    }

    /** The kernel of the transposed convolution: {@code w'[g·cinG + c, o, p, q] = w[g·coutG + o, c, kh−1−p, kw−1−q]}. */
    static float[] flipped(Dense wc, Geometry g) {
        int cinG = g.cin() / g.groups();
        int taps = g.kh() * g.kw();
        float[] out = new float[g.cout() * g.kg()];
        for (int o = 0; o < g.cout(); o++) {
            int grp = o / g.coutG();
            for (int c = 0; c < cinG; c++) {
                for (int t = 0; t < taps; t++) {
                    out[(((grp * cinG + c) * g.coutG() + o % g.coutG()) * taps) + taps - 1 - t] =
                            wc.floats()[wc.offset() + (o * cinG + c) * taps + t];
                }
            }
        }
        return out;
    }
}
