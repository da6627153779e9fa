package dev.jacobi.core.conv;

import dev.jacobi.core.blas.Dense;
import dev.jacobi.core.blas.Gemm;
import dev.jacobi.core.blas.GemmKernel;
import dev.jacobi.core.kernel.Alignment;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.CachingAllocator;
import dev.jacobi.core.kernel.Dims;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Workers;

/**
 * float32 3×3 stride-1 convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray 2016, as in
 * oneDNN and cuDNN): each 2×2 block of outputs comes from a 4×4 patch of the input with 16 products per channel pair
 * instead of 36. With {@code d} a patch, {@code g} a 3×3 kernel and
 * {@code Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]}, {@code G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]},
 * {@code Aᵀ = [1 1 1 0; 0 1 −1 −1]}: {@code Y = Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A}. The sum over channels is 16 GEMMs,
 * one per element {@code ξ} of the 4×4 transforms, run on {@link Gemm#KERNEL}'s tiles over blocks of patches that fit
 * in cache. The results differ from the direct sum by rounding only (the transforms add and halve). Work is split
 * over fixed blocks of patches, so results do not depend on the thread count.
 */
final class Winograd {
    private Winograd() {
    }

    /** Whether 3×3 stride-1 float32 convolutions take this path; tests turn it off to compare with the others. */
    static volatile boolean winogradPath = true;
    /** Below this many input or output channels the direct kernels win (the transforms then dominate). */
    static final int MIN_CHANNELS = 8;
    /**
     * Floats of a block's transformed inputs (or products) per transform element: 4096 (16 KiB) sets the number of
     * patches per block, 64 with AVX-512 and 48 with AVX2 (64 with the optional 4×16 tile) for 64 channels.
     */
    private static final int BLOCK_FLOATS = 1 << 12;
    /**
     * Floats between the 16 transform elements' planes beyond their size: planes a power of two apart (4096 floats
     * for 64 channels and 64 patches) put the 16 loads or stores of one patch in the same L1 set.
     */
    private static final int SKEW = 48;
    /** Where the GEMMs' B and C arrays start, so that their panels lie on cache lines ({@link Alignment}). */
    private static final int PAD = Alignment.FLOAT_PAD;
    /** Most patches per block of the weight adjoint (the GEMMs' depth). */
    private static final int WEIGHT_PATCHES = 128;
    /** Partial sums of the weight adjoint: a fixed number, so that its result does not depend on the thread count. */
    private static final int MAX_CHUNKS = 16;

    /** Whether the convolution {@code g} (already known to be float32, stride 1) can run here. */
    static boolean applies(Geometry g) {
        Window s = g.s();
        return winogradPath && g.kh() == 3 && g.kw() == 3 && s.dilationH() == 1 && s.dilationW() == 1
                && g.groups() == 1 && !s.circular() && g.cin() >= MIN_CHANNELS && g.cout() >= MIN_CHANNELS;
    }

    /**
     * {@code y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q]·x[n, c, i + p − top, j + q − left]} (0 outside {@code x}) for
     * {@code x [N, cin, h, w]}, {@code w [cout, cin, 3, 3]} at {@code wOff} and the output {@code [N, cout, ho, wo]},
     * sizes from {@code g}; {@code b} may be null.
     */
    static float[] conv(String op, Dense x, Geometry g, int top, int left, float[] w, int wOff, float[] b, int bo) {
        GemmKernel kr = Gemm.KERNEL;
        int mr = kr.mr();
        int nr = kr.nr();
        int n = g.n();
        int cin = g.cin();
        int cout = g.cout();
        int ho = g.ho();
        int wo = g.wo();
        int th = (ho + 1) / 2;
        int tw = (wo + 1) / 2;
        int hp = 2 * th + 2;
        int wp = 2 * tw + 2;
        int plane = hp * wp;
        float[] xp = ShiftedConvolution.padded(op, x, g, top, left, hp, wp, false);
        int panels = (cout + mr - 1) / mr;
        float[] u = weights(op, w, wOff, cin, cout, mr, panels);
        int tiles = Dims.numel(new int[] {n, th, tw}, op);
        int tb = nr * Math.max(1, BLOCK_FLOATS / (nr * Math.max(cin, cout)));
        int blocks = (tiles + tb - 1) / tb;
        float[] y = CachingAllocator.floats(Dims.numel(new int[] {n, cout, ho, wo}, op));
        Workers.forRange(blocks, 1, (b0, b1) -> {
            // from the caching allocator: columns past count (the last block's) are computed and never read
            float[] v = CachingAllocator.floats(PAD + 16 * (cin * tb + SKEW));
            float[] m = CachingAllocator.floats(PAD + 16 * (cout * tb + SKEW));
            int[] xb = new int[tb];
            int[] yb = new int[tb];
            int[] edge = new int[tb];
            float[] out = new float[4 * tb];
            for (int blk = b0; blk < b1; blk++) {
                int t0 = blk * tb;
                int count = Math.min(tb, tiles - t0);
                for (int l = 0; l < count; l++) {
                    int t = t0 + l;
                    int img = t / (th * tw);
                    int i = t / tw % th;
                    int j = t % tw;
                    xb[l] = img * cin * plane + 2 * i * wp + 2 * j;
                    yb[l] = (img * cout * ho + 2 * i) * wo + 2 * j;
                    edge[l] = (2 * j + 1 < wo ? 1 : 0) | (2 * i + 1 < ho ? 2 : 0);
                }
                inputTransform(xp, xb, count, cin, plane, wp, v, tb);
                for (int xi = 0; xi < 16; xi++) {
                    for (int s = 0; s < panels; s++) {
                        int rows = Math.min(mr, cout - s * mr);
                        for (int col = 0; col < count; col += nr) {
                            kr.tile(cin, u, (xi * panels + s) * cin * mr, v, PAD + xi * (cin * tb + SKEW) + col, tb,
                                    1f, 0f, m, PAD + xi * (cout * tb + SKEW) + s * mr * tb + col, tb, rows);
                        }
                    }
                }
                outputTransform(m, cout * tb + SKEW, yb, edge, count, cout, tb, ho * wo, wo, b, bo, out, y);
            }
            CachingAllocator.release(v);
            CachingAllocator.release(m);
        });
        return y;
    }

    /**
     * The weight adjoint {@code gw[o,c,p,q] = Σ_{n,i,j} gy[n,o,i,j]·x[n, c, i + p − top, j + q − left]} (0 outside
     * {@code x}) of {@link #conv}, shaped {@code [cout, cin, 3, 3]}, by F(3×3, 2×2): each 2×2 block of {@code gy}
     * (0 past its edge) with the 4×4 patch of {@code x} under it gives a 3×3 contribution
     * {@code Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A}, with {@code Bᵀ} as in {@link #conv} (its last row's sign moved into
     * {@code A}), {@code G = [1 0; 1 1; 1 −1; 0 1]} and {@code Aᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ −1]} (the halves of
     * the usual {@code G} moved into {@code A}). The sum over patches is taken in the transformed domain, as 16 GEMMs
     * ({@code [cin × patches]·[patches × cout]}), and {@code A} applied once at the end. The batch is summed in fixed
     * chunks, so the result does not depend on the thread count.
     */
    static float[] weight(String op, Dense x, Dense gy, Geometry g, int top, int left) {
        GemmKernel kr = Gemm.KERNEL;
        int mr = kr.mr();
        int nr = kr.nr();
        int n = g.n();
        int cin = g.cin();
        int cout = g.cout();
        int ho = g.ho();
        int wo = g.wo();
        int th = (ho + 1) / 2;
        int tw = (wo + 1) / 2;
        int hp = 2 * th + 2;
        int wp = 2 * tw + 2;
        int plane = hp * wp;
        float[] xp = ShiftedConvolution.padded(op, x, g, top, left, hp, wp, false);
        float[] gf = gy.floats();
        int go = gy.offset();
        int panels = (cin + mr - 1) / mr;
        int ldc = (cout + nr - 1) / nr * nr;
        int hw = ho * wo;
        int perImage = th * tw;
        int blocksPerImage = (perImage + WEIGHT_PATCHES - 1) / WEIGHT_PATCHES;
        int tb = (perImage + blocksPerImage - 1) / blocksPerImage;
        int ldx = panels * mr;
        int sa = tb * ldx + SKEW;
        int sb = tb * ldc + SKEW;
        int sc = ldx * ldc;
        int products = Dims.numel(new int[] {16, ldx, ldc}, op);
        int zero = Dims.numel(new int[] {hw, ldc}, op);
        int chunks = Math.max(1, Math.min(n, MAX_CHUNKS));
        float[][] parts = new float[chunks][];
        Kernels kn = Backend.KERNELS;
        Workers.forRange(chunks, 1, (c0, c1) -> {
            // scratch from the caching allocator (a training step calls this once per convolution): the rows of a
            // and b past count are never read; gt and xt start zeroed for their padding columns and gt's last row
            float[] a = CachingAllocator.floats(16 * sa);
            float[] b = CachingAllocator.floats(PAD + 16 * sb);
            float[] gt = CachingAllocator.zeroFloats(zero + ldc); // one image of gy, [hw, ldc], then a row of zeros
            float[] xt = CachingAllocator.zeroFloats(plane * ldx); // one image of the padded x, [plane, ldx]
            int[] aRows = new int[mr];
            for (int c = c0; c < c1; c++) {
                float[] part = CachingAllocator.zeroFloats(products);
                for (int img = (int) ((long) n * c / chunks); img < (long) n * (c + 1) / chunks; img++) {
                    kr.packTransposed(gf, go + img * cout * hw, hw, hw, cout, ldc, ldc, gt, 0);
                    kr.packTransposed(xp, img * cin * plane, plane, plane, cin, ldx, ldx, xt, 0);
                    for (int t0 = 0; t0 < perImage; t0 += tb) {
                        int count = Math.min(tb, perImage - t0);
                        for (int l = 0; l < count; l++) {
                            int i = (t0 + l) / tw;
                            int j = (t0 + l) % tw;
                            kn.winogradInput(xt, (2 * i * wp + 2 * j) * ldx, wp * ldx, ldx, a, l * ldx, sa, ldx);
                            int r = 2 * i * wo + 2 * j;
                            boolean right = 2 * j + 1 < wo;
                            boolean bottom = 2 * i + 1 < ho;
                            kn.winogradGradient(gt, r * ldc, right ? (r + 1) * ldc : zero,
                                    bottom ? (r + wo) * ldc : zero, right && bottom ? (r + wo + 1) * ldc : zero, b,
                                    PAD + l * ldc, sb, ldc);
                        }
                        for (int xi = 0; xi < 16; xi++) {
                            for (int s = 0; s < panels; s++) {
                                for (int r = 0; r < mr; r++) {
                                    aRows[r] = xi * sa + s * mr + r;
                                }
                                for (int q = 0; q < ldc; q += nr) {
                                    kr.tileGather(count, a, aRows, ldx, b, PAD + xi * sb + q, ldc, null, 0, 1f, 1f,
                                            part, xi * sc + s * mr * ldc + q, ldc, Math.min(mr, cin - s * mr), nr);
                                }
                            }
                        }
                    }
                }
                parts[c] = part;
            }
            CachingAllocator.release(a);
            CachingAllocator.release(b);
            CachingAllocator.release(gt);
            CachingAllocator.release(xt);
        });
        for (int c = 1; c < chunks; c++) {
            kn.axpy(1f, parts[c], 0, parts[0], 0, products);
            CachingAllocator.release(parts[c]);
        }
        float[] gw = weightOutput(parts[0], sc, ldc, cin, cout);
        CachingAllocator.release(parts[0]);
        return gw;
    }

    /**
     * {@code Aᵀ M A} ({@code Aᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ −1]}) of the summed products
     * {@code m[ξ·s + c·ldc + o]} for each channel pair, as {@code gw[o, c, 3, 3]}.
     */
    private static float[] weightOutput(float[] m, int s, int ldc, int cin, int cout) {
        float[] gw = new float[cout * cin * 9];
        float[] r = new float[12];
        for (int c = 0; c < cin; c++) {
            for (int o = 0; o < cout; o++) {
                int k = c * ldc + o;
                for (int b = 0; b < 4; b++) { // Aᵀ M: the rows m0 + ½(m1 + m2), ½(m1 − m2), ½(m1 + m2) − m3
                    float m0 = m[k + b * s];
                    float m1 = m[k + (4 + b) * s];
                    float m2 = m[k + (8 + b) * s];
                    float m3 = m[k + (12 + b) * s];
                    float h = 0.5f * (m1 + m2);
                    r[b] = m0 + h;
                    r[4 + b] = 0.5f * (m1 - m2);
                    r[8 + b] = h - m3;
                }
                int d = (o * cin + c) * 9;
                for (int p = 0; p < 3; p++) { // (Aᵀ M) A: the same on each row
                    float h = 0.5f * (r[4 * p + 1] + r[4 * p + 2]);
                    gw[d + 3 * p] = r[4 * p] + h;
                    gw[d + 3 * p + 1] = 0.5f * (r[4 * p + 1] - r[4 * p + 2]);
                    gw[d + 3 * p + 2] = h - r[4 * p + 3];
                }
            }
        }
        return gw;
    }

    /**
     * {@code G g Gᵀ} of every kernel, packed as the GEMM's A panels: {@code u[((ξ·panels + s)·cin + c)·mr + r]} is
     * element {@code ξ} of output channel {@code s·mr + r}'s transform for input channel {@code c} (0 past
     * {@code cout}).
     */
    private static float[] weights(String op, float[] w, int wOff, int cin, int cout, int mr, int panels) {
        float[] u = new float[Dims.numel(new int[] {16, panels * mr, cin}, op)];
        float[] gg = new float[12];
        for (int o = 0; o < cout; o++) {
            for (int c = 0; c < cin; c++) {
                int k = wOff + (o * cin + c) * 9;
                for (int q = 0; q < 3; q++) { // G g: rows g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2
                    float g0 = w[k + q];
                    float g1 = w[k + 3 + q];
                    float g2 = w[k + 6 + q];
                    gg[q] = g0;
                    gg[3 + q] = 0.5f * (g0 + g1 + g2);
                    gg[6 + q] = 0.5f * (g0 - g1 + g2);
                    gg[9 + q] = g2;
                }
                int base = (o / mr * cin + c) * mr + o % mr;
                int step = panels * cin * mr;
                for (int a = 0; a < 4; a++) { // (G g) Gᵀ: the same on each row
                    float g0 = gg[3 * a];
                    float g1 = gg[3 * a + 1];
                    float g2 = gg[3 * a + 2];
                    int xi = 4 * a;
                    u[base + xi * step] = g0;
                    u[base + (xi + 1) * step] = 0.5f * (g0 + g1 + g2);
                    u[base + (xi + 2) * step] = 0.5f * (g0 - g1 + g2);
                    u[base + (xi + 3) * step] = g2;
                }
            }
        }
        return u;
    }

    /**
     * {@code Bᵀ d B} of each patch {@code l < count} and channel {@code c}: element {@code ξ} goes to
     * {@code v[ξ·(cin·tb + SKEW) + c·tb + l]}, the GEMM's B rows; the patch's top left is {@code xp[xb[l] + c·plane]}.
     */
    private static void inputTransform(float[] xp, int[] xb, int count, int cin, int plane, int wp, float[] v,
                                       int tb) {
        int s = cin * tb + SKEW;
        for (int c = 0; c < cin; c++) {
            for (int l = 0; l < count; l++) {
                patch(xp, xb[l] + c * plane, wp, v, PAD + c * tb + l, s);
            }
        }
    }

    /**
     * {@code Bᵀ d B} of the 4×4 patch at {@code xp[p0]} (rows {@code wp} apart): element {@code ξ} to
     * {@code v[o + ξ·s]}. The same sums as {@link Kernels#winogradInput} with unit column steps, kept here for one
     * patch at a time: the forward's patches lie 2 apart along a row, and calling the shared plain-Java form (column
     * steps as an argument) made the reference forward and input adjoint 4–6% slower.
     */
    private static void patch(float[] xp, int p0, int wp, float[] v, int o, int s) {
        int p1 = p0 + wp;
        int p2 = p1 + wp;
        int p3 = p2 + wp;
        // Bᵀ d: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3 (for each of the 4 columns)
        float a0 = xp[p0] - xp[p2];
        float a1 = xp[p0 + 1] - xp[p2 + 1];
        float a2 = xp[p0 + 2] - xp[p2 + 2];
        float a3 = xp[p0 + 3] - xp[p2 + 3];
        float b0 = xp[p1] + xp[p2];
        float b1 = xp[p1 + 1] + xp[p2 + 1];
        float b2 = xp[p1 + 2] + xp[p2 + 2];
        float b3 = xp[p1 + 3] + xp[p2 + 3];
        float c0 = xp[p2] - xp[p1];
        float c1 = xp[p2 + 1] - xp[p1 + 1];
        float c2 = xp[p2 + 2] - xp[p1 + 2];
        float c3 = xp[p2 + 3] - xp[p1 + 3];
        float e0 = xp[p1] - xp[p3];
        float e1 = xp[p1 + 1] - xp[p3 + 1];
        float e2 = xp[p1 + 2] - xp[p3 + 2];
        float e3 = xp[p1 + 3] - xp[p3 + 3];
        // (Bᵀ d) B: the same on each row
        v[o] = a0 - a2;
        v[o + s] = a1 + a2;
        v[o + 2 * s] = a2 - a1;
        v[o + 3 * s] = a1 - a3;
        v[o + 4 * s] = b0 - b2;
        v[o + 5 * s] = b1 + b2;
        v[o + 6 * s] = b2 - b1;
        v[o + 7 * s] = b1 - b3;
        v[o + 8 * s] = c0 - c2;
        v[o + 9 * s] = c1 + c2;
        v[o + 10 * s] = c2 - c1;
        v[o + 11 * s] = c1 - c3;
        v[o + 12 * s] = e0 - e2;
        v[o + 13 * s] = e1 + e2;
        v[o + 14 * s] = e2 - e1;
        v[o + 15 * s] = e1 - e3;
    }

    /**
     * {@code Aᵀ m A} (plus the bias) of the products {@code m[pad + ξ·s + k·tb + l]} ({@code s = cout·tb + SKEW}, pad
     * {@link #PAD}) of each patch {@code l < count} and output channel {@code k}, by
     * {@link Kernels#winogradOutput} into {@code t}, then
     * written to the 2×2 block at {@code y[yb[l] + k·hw]} ({@code wo} wide): its right column only where bit 1 of
     * {@code edge[l]} is set, its bottom row only where bit 2 is.
     */
    private static void outputTransform(float[] m, int s, int[] yb, int[] edge, int count, int cout, int tb,
                                        int hw, int wo, float[] b, int bo, float[] t, float[] y) {
        Kernels kn = Backend.KERNELS;
        for (int k = 0; k < cout; k++) {
            kn.winogradOutput(m, PAD + k * tb, s, b == null ? 0f : b[bo + k], t, 0, tb, count);
            int kd = k * hw;
            for (int l = 0; l < count; l++) {
                int d = yb[l] + kd;
                int e = edge[l];
                y[d] = t[l];
                if ((e & 1) != 0) {
                    y[d + 1] = t[tb + l];
                }
                if ((e & 2) != 0) {
                    y[d + wo] = t[2 * tb + l];
                    if (e == 3) {
                        y[d + wo + 1] = t[3 * tb + l];
                    }
                }
            }
        }
    }
}
