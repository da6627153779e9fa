package dev.jacobi.core.conv;

import static dev.jacobi.core.conv.ShiftedConvolution.MIN_ROWS;
import static dev.jacobi.core.conv.ShiftedConvolution.NARROW_K;

import dev.jacobi.core.blas.Buf;
import dev.jacobi.core.blas.Dense;
import dev.jacobi.core.blas.Gemm;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.Dims;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Workers;
import java.util.function.Supplier;

/**
 * 2-D convolution in NCHW layout and its two adjoints, for both element types, on contiguous arrays; the public
 * entry point, with the operand checks, is {@code dev.jacobi.core.Conv}. The three ops are bilinear and close under
 * differentiation: the adjoint of {@link #conv2d} in the input is {@link #conv2dInput} (a transposed convolution), in
 * the weight it is {@link #conv2dWeight}.
 *
 * <p>Each image is lowered to a column matrix ({@code im2col}: {@code [Cin·kh·kw, Ho·Wo]}, in tiles of output positions
 * that fit in cache) through a tap table shared by all images and channels, and multiplied with {@link Gemm} per group;
 * images run in parallel on {@link Workers} with one scratch column buffer per thread. A 1x1 kernel with stride 1 and
 * no padding skips the lowering. float32 with stride 1 (with the Vector API) lowers nothing and runs
 * {@link ShiftedConvolution} instead, or {@link Winograd} for 3×3 kernels with at least 8 channels in and out (all
 * three ops).
 */
public final class Convolution {
    private Convolution() {
    }

    /** Output length along one axis; see {@code Conv.outputSize}. */
    public static int outputSize(String op, int in, int k, int stride, int pad, int dilation) {
        return Geometry.outSize(op, in, k, stride, pad, dilation);
    }

    /** The tap table of a sliding window over one {@code h×w} plane (-1 in zero padding); see the pooling ops. */
    public static int[] taps(int h, int w, int kh, int kw, int ho, int wo, int sh, int sw, int ph, int pw) {
        return Geometry.taps(h, w, kh, kw, ho, wo, sh, sw, ph, pw, 1, 1, false);
    }

    /**
     * Whether float32 stride-1 convolutions run on shifted rows of a padded copy (the default with the Vector API).
     * The library never changes it; tests do, to compare the two paths.
     */
    public static boolean shiftedPath() {
        return ShiftedConvolution.shiftedPath;
    }

    /** Sets {@link #shiftedPath()}; for tests that compare the two paths. */
    public static void setShiftedPath(boolean on) {
        ShiftedConvolution.shiftedPath = on;
    }

    /**
     * Whether 3×3 stride-1 float32 convolutions on that path (and their two adjoints) with at least 8 input and
     * output channels, no groups, no dilation and zero padding run by Winograd's F(2×2, 3×3) (the weight adjoint by
     * F(3×3, 2×2); {@link Winograd}).
     * On by default; the library never changes it, tests do, to compare it with the direct sums.
     */
    public static boolean winogradPath() {
        return Winograd.winogradPath;
    }

    /** Sets {@link #winogradPath()}; for tests. */
    public static void setWinogradPath(boolean on) {
        Winograd.winogradPath = on;
    }

    /**
     * {@code y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q]·xpad[n, g(o)·Cin/G + c, i·sh + p·dh, j·sw + q·dw]} for
     * {@code x [N, Cin, H, W]}, {@code w [Cout, Cin/groups, kh, kw]} and {@code bias [Cout]} (or null), all of one
     * element type.
     */
    public static Dense conv2d(Dense x, Dense w, Dense bias, Window s) {
        String op = "conv2d";
        Geometry g = Geometry.of(op, x.shape(), w.shape(), s, null, x.shape(), w.shape());
        if (ShiftedConvolution.shifted(x, g)) {
            float[] b = bias == null ? null : bias.floats();
            int bo = bias == null ? 0 : bias.offset();
            float[] y = Winograd.applies(g)
                    ? Winograd.conv(op, x, g, g.s().padH(), g.s().padW(), w.floats(), w.offset(), b, bo)
                    : ShiftedConvolution.shiftedConv(ShiftedConvolution.padded(op, x, g),
                            ShiftedConvolution.gridWidth(g), w.floats(), w.offset(), g, b, bo);
            return Dense.of(y, g.n(), g.cout(), g.ho(), g.wo());
        }
        Dense y = Dense.zeros(x.data(), new int[] {g.n(), g.cout(), g.ho(), g.wo()}, op);
        Buf xa = x.data();
        Buf ya = y.data();
        int[] tab = g.taps();
        int hw = g.ho() * g.wo();
        int tile = g.tile(tab);
        Workers.forRange(g.n(), 1, (n0, n1) -> {
            Buf col = tab == null ? null : xa.alloc(g.cin() * g.kh() * g.kw() * tile);
            for (int n = n0; n < n1; n++) {
                int xo = x.offset() + n * g.cin() * g.h() * g.w();
                int yo = n * g.cout() * hw;
                for (int o0 = 0; o0 < hw; o0 += tile) {
                    int nt = Math.min(tile, hw - o0);
                    int ld = col == null ? hw : nt;
                    int so = col == null ? xo + o0 : 0;
                    if (col != null) {
                        im2col(xa, xo, g.h() * g.w(), g.cin(), tab, hw, o0, nt, col, false);
                    }
                    for (int grp = 0; grp < g.groups(); grp++) {
                        w.data().gemm(false, false, g.coutG(), nt, g.kg(), w.offset() + grp * g.coutG() * g.kg(),
                                g.kg(), col == null ? xa : col, so + grp * g.kg() * ld, ld, false,
                                ya, yo + grp * g.coutG() * hw + o0, hw);
                    }
                }
                if (bias != null) {
                    ya.addRowBias(yo, bias.data(), bias.offset(), g.cout(), hw);
                }
            }
        });
        return y;
    }

    /**
     * Adjoint of {@link #conv2d} in the input (the transposed convolution): {@code gx[n,c,a,b] = Σ gy[n,o,i,j]·w[o,c',p,q]}
     * over the taps that read {@code x[n,c,a,b]}; with circular padding the wrapped border is folded back.
     * {@code gy [N, Cout, Ho, Wo]} gives {@code [N, Cin, h, w_]}.
     */
    public static Dense conv2dInput(Dense gy, Dense w, int h, int w_, Window s) {
        String op = "conv2dInput";
        int[] xs = {gy.size(0), w.size(1) * s.groups(), h, w_};
        Geometry g = Geometry.of(op, xs, w.shape(), s, gy.shape(), null, w.shape());
        if (ShiftedConvolution.shifted(gy, g) && !s.circular() && g.cin() / g.groups() >= MIN_ROWS) {
            // a stride-1 transposed convolution is the convolution of gy with the flipped, transposed kernel
            int eh = s.dilationH() * (g.kh() - 1);
            int ew = s.dilationW() * (g.kw() - 1);
            Geometry t = new Geometry(g.n(), g.cout(), g.ho(), g.wo(), g.cin(), g.kh(), g.kw(), h, w_, g.groups(),
                    g.cin() / g.groups(), g.coutG() * g.kh() * g.kw(), s.withPadding(0));
            if (Winograd.applies(t)) {
                return Dense.of(Winograd.conv(op, gy, t, eh - s.padH(), ew - s.padW(),
                        ShiftedConvolution.flipped(w, g), 0, null, 0), xs);
            }
            int wp = ShiftedConvolution.rowWidth(ew - s.padW(), g.wo(), w_, g.kw(), s.dilationW());
            float[] gp = ShiftedConvolution.padded(op, gy, t, eh - s.padH(), ew - s.padW(), h + eh, wp, false);
            return Dense.of(ShiftedConvolution.shiftedConv(gp, wp, ShiftedConvolution.flipped(w, g), 0, t, null, 0),
                    xs);
        }
        Dense gx = Dense.zeros(gy.data(), xs, op);
        int[] tab = g.taps();
        Workers.forRange(g.n(), 1, (n0, n1) -> {
            Buf col = tab == null ? null : gy.data().alloc(g.cin() * g.kh() * g.kw() * g.tile(tab));
            for (int n = n0; n < n1; n++) {
                inputImage(gy, w, gx, g, tab, col, n);
            }
        });
        return gx;
    }

    /**
     * Image {@code n} of the lowered input adjoint: per tile of output positions, {@code col = Wᵀ·gy} (into
     * {@code gx} directly when {@code tab} is null), then col2im adds {@code col} into {@code gx}.
     */
    private static void inputImage(Dense gc, Dense wc, Dense gx, Geometry g, int[] tab, Buf col, int n) {
        Buf xa = gx.data();
        int hw = g.ho() * g.wo();
        int tile = g.tile(tab);
        int xo = n * g.cin() * g.h() * g.w();
        for (int o0 = 0; o0 < hw; o0 += tile) {
            int nt = Math.min(tile, hw - o0);
            int ld = col == null ? hw : nt;
            int dOff = col == null ? xo + o0 : 0;
            for (int grp = 0; grp < g.groups(); grp++) {
                wc.data().gemm(true, false, g.kg(), nt, g.coutG(), wc.offset() + grp * g.coutG() * g.kg(), g.kg(),
                        gc.data(), gc.offset() + (n * g.cout() + grp * g.coutG()) * hw + o0, hw, false,
                        col == null ? xa : col, dOff + grp * g.kg() * ld, ld);
            }
            if (col instanceof Buf.F32 cf && nt == hw && g.s().strideH() == 1 && g.s().strideW() == 1
                    && !g.s().circular()) {
                col2imRows(gx.floats(), xo, g, cf.a());
            } else if (col != null) {
                im2col(xa, xo, g.h() * g.w(), g.cin(), tab, hw, o0, nt, col, true);
            }
        }
    }

    /**
     * The col2im of {@link #im2col} for a stride-1, zero-padded convolution and a whole image: each tap's row of
     * {@code col} is added into the image plane by runs of output columns (the same sums, in the same order).
     */
    private static void col2imRows(float[] x, int xo, Geometry g, float[] col) {
        Kernels kn = Backend.KERNELS;
        int hw = g.ho() * g.wo();
        int dh = g.s().dilationH();
        int dw = g.s().dilationW();
        for (int c = 0, t = 0; c < g.cin(); c++) {
            for (int p = 0; p < g.kh(); p++) {
                for (int q = 0; q < g.kw(); q++, t++) {
                    int shift = q * dw - g.s().padW();
                    int j0 = Math.max(0, -shift);
                    int j1 = Math.min(g.wo(), g.w() - shift);
                    for (int i = 0; i < g.ho() && j1 > j0; i++) {
                        int a = i + p * dh - g.s().padH();
                        if (a >= 0 && a < g.h()) {
                            kn.axpy(1f, col, t * hw + i * g.wo() + j0, x, xo + (c * g.h() + a) * g.w() + j0 + shift,
                                    j1 - j0);
                        }
                    }
                }
            }
        }
    }

    /**
     * Both adjoints of {@link #conv2d} at once, as PyTorch's {@code convolution_backward}: {@code {conv2dInput(gy, w,
     * H, W, s), conv2dWeight(x, gy, kh, kw, s)}}, bit for bit. For a stride-1 convolution with few input channels
     * (a first layer: its input adjoint is lowered, its weight adjoint runs in dot form) it makes one pass over
     * {@code gy}: each image's slice feeds both adjoints while it is in cache, where the two ops would each read
     * all of {@code gy} from memory.
     */
    public static Dense[] conv2dBackward(Dense x, Dense gy, Dense w, Window s) {
        String op = "conv2dBackward";
        Geometry g = Geometry.of(op, x.shape(), w.shape(), s, gy.shape(), x.shape(), w.shape());
        if (!(ShiftedConvolution.shifted(x, g) && g.kg() <= NARROW_K && g.cin() / g.groups() < MIN_ROWS)) {
            return new Dense[] {conv2dInput(gy, w, g.h(), g.w(), s), conv2dWeight(x, gy, g.kh(), g.kw(), s)};
        }
        Dense gx = Dense.zeros(x.data(), x.shape(), op);
        int[] tab = g.taps();
        Supplier<Buf> col = () -> tab == null ? null : x.data().alloc(g.cin() * g.kh() * g.kw() * g.tile(tab));
        float[] gw = ShiftedConvolution.narrowWeight(ShiftedConvolution.padded(op, x, g),
                ShiftedConvolution.gridWidth(g), gy.floats(), gy.offset(), g, col,
                (c, img) -> inputImage(gy, w, gx, g, tab, c, img));
        return new Dense[] {gx, Dense.of(gw, w.shape())};
    }

    /**
     * Adjoint of {@link #conv2d} in the weight: {@code gw[o,c,p,q] = Σ_{n,i,j} gy[n,o,i,j]·xpad[n, g(o)·Cin/G + c,
     * i·sh + p·dh, j·sw + q·dw]}, shaped {@code [Cout, Cin/groups, kh, kw]}. The batch is summed in fixed chunks, so
     * the result does not depend on the thread count.
     */
    public static Dense conv2dWeight(Dense x, Dense gy, int kh, int kw, Window s) {
        String op = "conv2dWeight";
        if (kh < 1 || kw < 1 || x.size(1) % s.groups() != 0) {
            throw new IllegalArgumentException(op + ": need kernel size >= 1 and groups dividing the input channels,"
                    + " got kernel (" + kh + ", " + kw + "), groups " + s.groups() + ", input " + Dims.str(x.shape()));
        }
        int[] ws = {gy.size(1), x.size(1) / s.groups(), kh, kw};
        Geometry g = Geometry.of(op, x.shape(), ws, s, gy.shape(), x.shape(), null);
        if (ShiftedConvolution.shifted(x, g)) {
            if (Winograd.applies(g)) {
                return Dense.of(Winograd.weight(op, x, gy, g, g.s().padH(), g.s().padW()), ws);
            }
            float[] xp = ShiftedConvolution.padded(op, x, g);
            int wp = ShiftedConvolution.gridWidth(g);
            return Dense.of(g.kg() <= NARROW_K
                    ? ShiftedConvolution.narrowWeight(xp, wp, gy.floats(), gy.offset(), g, () -> null, null)
                    : ShiftedConvolution.shiftedWeight(xp, wp, gy.floats(), gy.offset(), g), ws);
        }
        Buf xa = x.data();
        Buf ga = gy.data();
        int[] tab = g.taps();
        int hw = g.ho() * g.wo();
        int size = g.cout() * g.kg();
        // a fixed number of partial sums (independent of the thread count) keeps the result deterministic
        int chunks = Math.max(1, Math.min(g.n(), Math.min(16, (1 << 22) / Math.max(1, size))));
        Buf[] parts = new Buf[chunks];
        int tile = g.tile(tab);
        Workers.forRange(chunks, 1, (c0, c1) -> {
            Buf col = tab == null ? null : xa.alloc(g.cin() * g.kh() * g.kw() * tile);
            for (int c = c0; c < c1; c++) {
                Buf part = xa.alloc(size);
                int first = (int) ((long) g.n() * c / chunks);
                int last = (int) ((long) g.n() * (c + 1) / chunks);
                for (int n = first; n < last; n++) {
                    int xo = x.offset() + n * g.cin() * g.h() * g.w();
                    for (int o0 = 0; o0 < hw; o0 += tile) {
                        int nt = Math.min(tile, hw - o0);
                        int ld = col == null ? hw : nt;
                        int so = col == null ? xo + o0 : 0;
                        if (col != null) {
                            im2col(xa, xo, g.h() * g.w(), g.cin(), tab, hw, o0, nt, col, false);
                        }
                        for (int grp = 0; grp < g.groups(); grp++) {
                            ga.gemm(false, true, g.coutG(), g.kg(), nt,
                                    gy.offset() + (n * g.cout() + grp * g.coutG()) * hw + o0, hw,
                                    col == null ? xa : col, so + grp * g.kg() * ld, ld, n > first || o0 > 0,
                                    part, grp * g.coutG() * g.kg(), g.kg());
                        }
                    }
                }
                parts[c] = part;
            }
        });
        for (int c = 1; c < chunks; c++) {
            parts[0].addInto(parts[c], size);
        }
        return new Dense(parts[0], 0, ws);
    }

    /**
     * Lowers output positions {@code [o0, o0 + nt)} of {@code channels} planes at {@code x[xo..]}:
     * {@code col[(c·taps + r)·nt + o − o0] = x[xo + c·plane + tab[r·hw + o]]} (0 where the table holds -1); with
     * {@code adjoint} it instead adds {@code col} back into {@code x} (col2im).
     */
    private static void im2col(Buf x, int xo, int plane, int channels, int[] tab, int hw, int o0, int nt, Buf col,
                               boolean adjoint) {
        int taps = tab.length / hw;
        for (int c = 0; c < channels; c++) {
            int base = xo + c * plane;
            for (int r = 0; r < taps; r++) {
                int t0 = r * hw + o0;
                int d = (c * taps + r) * nt - t0; // col[d + i] pairs with tab[i]
                if (adjoint) {
                    x.scatterAdd(base, tab, t0, nt, col, d);
                } else {
                    x.gather(base, tab, t0, nt, col, d);
                }
            }
        }
    }
}
