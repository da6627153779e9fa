package dev.jacobi.core;

import dev.jacobi.core.blas.Gemm;
import dev.jacobi.core.blas.GemmKernel;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Workers;
import java.util.Arrays;
import java.util.function.ObjIntConsumer;
import java.util.function.Supplier;

/**
 * 2-D convolution in NCHW layout and its two adjoints, for both dtypes. The three ops are bilinear and close under
 * differentiation: the adjoint of {@link #conv2d} in the input is {@link #conv2dInput} (a transposed convolution), in
 * the weight it is {@link #conv2dWeight}.
 *
 * <p>Each image is lowered to a column matrix ({@code im2col}: {@code [Cin·kh·kw, Ho·Wo]}, in tiles of output positions
 * that fit in cache) through a tap table shared by all images and channels, and multiplied with {@link Gemm} per group;
 * images run in parallel on {@link Workers} with one scratch column buffer per thread. A 1x1 kernel with stride 1 and
 * no padding skips the lowering.
 *
 * <p>float32 with stride 1 (with the Vector API) lowers nothing: the input is copied once into padded planes, where
 * every row of the column matrix is a shifted slice, read in place by gathered GEMM tiles
 * ({@link GemmKernel#tileGather}) over output tiles of the padded grid; up to 32 taps per group the forward writes
 * rows of outputs directly ({@link GemmKernel#narrow}). The input adjoint is then the convolution of the padded
 * gradient with the flipped kernel, the weight adjoint a GEMM over all positions. Work is split over disjoint outputs
 * (or fixed image chunks), so results do not depend on the thread count.
 */
public final class Conv {
    private Conv() {
    }

    /**
     * Output length of a convolution along one axis: {@code ⌊(in + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1}.
     *
     * @param in       input length, at least 0
     * @param k        kernel length, at least 1
     * @param stride   stride, at least 1
     * @param pad      padding on each side, at least 0
     * @param dilation spacing of kernel taps, at least 1
     * @return the output length, at least 1
     * @throws IllegalArgumentException if an argument is out of range or the kernel does not fit the padded input
     */
    public static int outputSize(int in, int k, int stride, int pad, int dilation) {
        return outSize("outputSize", in, k, stride, pad, dilation);
    }

    static int outSize(String op, int in, int k, int stride, int pad, int dilation) {
        if (in < 0 || k < 1 || stride < 1 || pad < 0 || dilation < 1) {
            throw new IllegalArgumentException(op + ": need input size >= 0, kernel >= 1, stride >= 1, padding >= 0"
                    + " and dilation >= 1, got input " + in + ", kernel " + k + ", stride " + stride + ", padding "
                    + pad + ", dilation " + dilation);
        }
        long span = (long) dilation * (k - 1) + 1;
        long padded = in + 2L * pad;
        if (padded < span) {
            throw new IllegalArgumentException(op + ": kernel extent " + span + " (kernel " + k + ", dilation "
                    + dilation + ") exceeds the padded input " + padded + " (input " + in + ", padding " + pad + ")");
        }
        return (int) ((padded - span) / stride + 1);
    }

    /**
     * Convolution (PyTorch's cross-correlation): {@code y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q]·xpad[n, g(o)·Cin/G + c,
     * i·sh + p·dh, j·sw + q·dw]}. Its adjoints are {@link #conv2dInput} (in {@code x}) and {@link #conv2dWeight} (in
     * {@code w}).
     *
     * @param x    input {@code [N, Cin, H, W]}
     * @param w    weight {@code [Cout, Cin/groups, kh, kw]}
     * @param bias bias {@code [Cout]}, or null for none
     * @param s    stride, padding, dilation, groups and padding mode
     * @return {@code [N, Cout, Ho, Wo]} with {@code Ho = outputSize(H, kh, strideH, padH, dilationH)}, likewise {@code Wo}
     */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dSpec s) {
        String op = "conv2d";
        operands(op, "input", x, "weight", w, s);
        Geo g = geo(op, x.shape, w.shape, s, null, x.shape, w.shape);
        Tensor bc = null;
        if (bias != null) {
            if (bias.dim() != 1 || bias.shape[0] != g.cout || bias.dtype != x.dtype) {
                throw new IllegalArgumentException(op + ": bias must be a " + x.dtype + " [" + g.cout + "] for weight "
                        + Shapes.str(w.shape) + ", got " + bias.dtype + " " + Shapes.str(bias.shape));
            }
            bc = bias.contiguous();
        }
        Tensor xc = x.contiguous();
        Tensor wc = w.contiguous();
        if (shifted(x.dtype, g)) {
            float[] xp = padded(op, xc, g);
            return Tensor.wrap(shiftedConv(xp, gridWidth(g), wc.f, wc.offset, g,
                    bc == null ? null : bc.f, bc == null ? 0 : bc.offset), g.n, g.cout, g.ho, g.wo);
        }
        Tensor y = Tensor.empty(x.dtype, new int[] {g.n, g.cout, g.ho, g.wo});
        Object xa = data(xc);
        Object wa = data(wc);
        Object ya = data(y);
        Object ba = bc == null ? null : data(bc);
        int bo = bc == null ? 0 : bc.offset;
        int[] tab = g.taps();
        int hw = g.ho * g.wo;
        int tile = g.tile(tab);
        Workers.forRange(g.n, 1, (n0, n1) -> {
            Object col = tab == null ? null : alloc(x.dtype, g.cin * g.kh * g.kw * tile);
            for (int n = n0; n < n1; n++) {
                int xo = xc.offset + n * g.cin * g.h * g.w;
                int yo = n * g.cout * hw;
                for (int o0 = 0; o0 < hw; o0 += tile) {
                    int nt = Math.min(tile, hw - o0);
                    int ld = col == null ? hw : nt;
                    int so = col == null ? xo + o0 : 0;
                    if (col != null) {
                        im2col(xa, xo, g.h * g.w, g.cin, tab, hw, o0, nt, col, false);
                    }
                    for (int grp = 0; grp < g.groups; grp++) {
                        gemm(false, false, g.coutG, nt, g.kg, wa, wc.offset + grp * g.coutG * g.kg, g.kg,
                                col == null ? xa : col, so + grp * g.kg * ld, ld, false,
                                ya, yo + grp * g.coutG * hw + o0, hw);
                    }
                }
                if (ba != null) {
                    addBias(ya, yo, ba, bo, g.cout, hw);
                }
            }
        });
        return y;
    }

    /**
     * Adjoint of {@link #conv2d} in the input (the transposed convolution):
     * {@code gx[n,c,a,b] = Σ_{o,i,j,p,q} gy[n,o,i,j]·w[o,c',p,q]} over the taps that read {@code x[n,c,a,b]}; with
     * circular padding the wrapped border is folded back. Its adjoint is {@link #conv2d} (without bias).
     *
     * @param gy output-shaped tensor {@code [N, Cout, Ho, Wo]}
     * @param w  weight {@code [Cout, Cin/groups, kh, kw]}
     * @param h  input height {@code H} (stride makes it ambiguous from {@code Ho})
     * @param w_ input width {@code W}
     * @param s  the spec of the forward convolution
     * @return {@code [N, Cin, H, W]}
     */
    public static Tensor conv2dInput(Tensor gy, Tensor w, int h, int w_, Conv2dSpec s) {
        String op = "conv2dInput";
        operands(op, "gradient", gy, "weight", w, s);
        int[] xs = {gy.shape[0], w.shape[1] * s.groups(), h, w_};
        Geo g = geo(op, xs, w.shape, s, gy.shape, null, w.shape);
        Tensor gc = gy.contiguous();
        Tensor wc = w.contiguous();
        if (shifted(gy.dtype, g) && s.mode() == PaddingMode.ZEROS && g.cin / g.groups >= MIN_ROWS) {
            // a stride-1 transposed convolution is the convolution of gy with the flipped, transposed kernel
            int eh = g.s.dilationH() * (g.kh - 1);
            int ew = g.s.dilationW() * (g.kw - 1);
            Geo t = new Geo(g.n, g.cout, g.ho, g.wo, g.cin, g.kh, g.kw, h, w_, g.groups, g.cin / g.groups,
                    g.coutG * g.kh * g.kw, s.withPadding(0));
            int wp = rowWidth(ew - s.padW(), g.wo, w_, g.kw, s.dilationW());
            float[] gp = padded(op, gc, t, eh - s.padH(), ew - s.padW(), h + eh, wp, false);
            return Tensor.wrap(shiftedConv(gp, wp, flipped(wc, g), 0, t, null, 0), xs);
        }
        Tensor gx = Tensor.empty(gy.dtype, xs);
        int[] tab = g.taps();
        Workers.forRange(g.n, 1, (n0, n1) -> {
            Object col = tab == null ? null : alloc(gy.dtype, g.cin * g.kh * g.kw * g.tile(tab));
            for (int n = n0; n < n1; n++) {
                inputImage(gc, wc, gx, g, tab, col, n);
            }
        });
        return gx;
    }

    /**
     * Image {@code n} of the lowered input adjoint: per tile of output positions, {@code col = Wᵀ·gy} (into
     * {@code gx} directly when {@code tab} is null), then col2im adds {@code col} into {@code gx}.
     */
    private static void inputImage(Tensor gc, Tensor wc, Tensor gx, Geo g, int[] tab, Object col, int n) {
        Object xa = data(gx);
        int hw = g.ho * g.wo;
        int tile = g.tile(tab);
        int xo = n * g.cin * g.h * g.w;
        for (int o0 = 0; o0 < hw; o0 += tile) {
            int nt = Math.min(tile, hw - o0);
            int ld = col == null ? hw : nt;
            int dOff = col == null ? xo + o0 : 0;
            for (int grp = 0; grp < g.groups; grp++) {
                gemm(true, false, g.kg, nt, g.coutG, data(wc), wc.offset + grp * g.coutG * g.kg, g.kg,
                        data(gc), gc.offset + (n * g.cout + grp * g.coutG) * hw + o0, hw, false,
                        col == null ? xa : col, dOff + grp * g.kg * ld, ld);
            }
            if (col instanceof float[] cf && nt == hw && g.s.strideH() == 1 && g.s.strideW() == 1
                    && g.s.mode() == PaddingMode.ZEROS) {
                col2imRows(gx.f, xo, g, cf);
            } else if (col != null) {
                im2col(xa, xo, g.h * g.w, g.cin, tab, hw, o0, nt, col, true);
            }
        }
    }

    /**
     * The col2im of {@link #im2col} for a stride-1, zero-padded convolution and a whole image: each tap's row of
     * {@code col} is added into the image plane by runs of output columns (the same sums, in the same order).
     */
    private static void col2imRows(float[] x, int xo, Geo g, float[] col) {
        Kernels kn = Backend.KERNELS;
        int hw = g.ho * g.wo;
        int dh = g.s.dilationH();
        int dw = g.s.dilationW();
        for (int c = 0, t = 0; c < g.cin; c++) {
            for (int p = 0; p < g.kh; p++) {
                for (int q = 0; q < g.kw; q++, t++) {
                    int shift = q * dw - g.s.padW();
                    int j0 = Math.max(0, -shift);
                    int j1 = Math.min(g.wo, g.w - shift);
                    for (int i = 0; i < g.ho && j1 > j0; i++) {
                        int a = i + p * dh - g.s.padH();
                        if (a >= 0 && a < g.h) {
                            kn.axpy(1f, col, t * hw + i * g.wo + j0, x, xo + (c * g.h + a) * g.w + j0 + shift, j1 - j0);
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
     *
     * @param x  input {@code [N, Cin, H, W]}
     * @param gy output-shaped tensor {@code [N, Cout, Ho, Wo]}
     * @param w  weight {@code [Cout, Cin/groups, kh, kw]}
     * @param s  the spec of the forward convolution
     * @return {@code {gx [N, Cin, H, W], gw [Cout, Cin/groups, kh, kw]}}
     */
    public static Tensor[] conv2dBackward(Tensor x, Tensor gy, Tensor w, Conv2dSpec s) {
        String op = "conv2dBackward";
        operands(op, "input", x, "gradient", gy, s);
        operands(op, "input", x, "weight", w, s);
        Geo g = geo(op, x.shape, w.shape, s, gy.shape, x.shape, w.shape);
        if (!(shifted(x.dtype, g) && g.kg <= NARROW_K && g.cin / g.groups < MIN_ROWS)) {
            return new Tensor[] {conv2dInput(gy, w, g.h, g.w, s), conv2dWeight(x, gy, g.kh, g.kw, s)};
        }
        Tensor gc = gy.contiguous();
        Tensor wc = w.contiguous();
        Tensor gx = Tensor.empty(x.dtype, x.shape);
        int[] tab = g.taps();
        Supplier<Object> col = () -> tab == null ? null : alloc(x.dtype, g.cin * g.kh * g.kw * g.tile(tab));
        float[] gw = narrowWeight(padded(op, x.contiguous(), g), gridWidth(g), gc.f, gc.offset, g, col,
                (c, img) -> inputImage(gc, wc, gx, g, tab, c, img));
        return new Tensor[] {gx, Tensor.wrap(gw, w.shape)};
    }

    /**
     * Adjoint of {@link #conv2d} in the weight: {@code gw[o,c,p,q] = Σ_{n,i,j} gy[n,o,i,j]·xpad[n, g(o)·Cin/G + c,
     * i·sh + p·dh, j·sw + q·dw]}. Its adjoint in {@code gy} is {@link #conv2d}, in {@code x} it is {@link #conv2dInput}.
     * The batch is summed in fixed chunks, so the result does not depend on the thread count.
     *
     * @param x  input {@code [N, Cin, H, W]}
     * @param gy output-shaped tensor {@code [N, Cout, Ho, Wo]}
     * @param kh kernel height
     * @param kw kernel width
     * @param s  the spec of the forward convolution
     * @return {@code [Cout, Cin/groups, kh, kw]}
     */
    public static Tensor conv2dWeight(Tensor x, Tensor gy, int kh, int kw, Conv2dSpec s) {
        String op = "conv2dWeight";
        operands(op, "input", x, "gradient", gy, s);
        if (kh < 1 || kw < 1 || x.shape[1] % s.groups() != 0) {
            throw new IllegalArgumentException(op + ": need kernel size >= 1 and groups dividing the input channels,"
                    + " got kernel (" + kh + ", " + kw + "), groups " + s.groups() + ", input " + Shapes.str(x.shape));
        }
        int[] ws = {gy.shape[1], x.shape[1] / s.groups(), kh, kw};
        Geo g = geo(op, x.shape, ws, s, gy.shape, x.shape, null);
        Tensor xc = x.contiguous();
        Tensor gc = gy.contiguous();
        if (shifted(x.dtype, g)) {
            float[] xp = padded(op, xc, g);
            int wp = gridWidth(g);
            return Tensor.wrap(g.kg <= NARROW_K ? narrowWeight(xp, wp, gc.f, gc.offset, g, () -> null, null)
                    : shiftedWeight(xp, wp, gc.f, gc.offset, g), ws);
        }
        Object xa = data(xc);
        Object ga = data(gc);
        int[] tab = g.taps();
        int hw = g.ho * g.wo;
        int size = g.cout * g.kg;
        // a fixed number of partial sums (independent of the thread count) keeps the result deterministic
        int chunks = Math.max(1, Math.min(g.n, Math.min(16, (1 << 22) / Math.max(1, size))));
        Object[] parts = new Object[chunks];
        int tile = g.tile(tab);
        Workers.forRange(chunks, 1, (c0, c1) -> {
            Object col = tab == null ? null : alloc(x.dtype, g.cin * g.kh * g.kw * tile);
            for (int c = c0; c < c1; c++) {
                Object part = alloc(x.dtype, size);
                int first = (int) ((long) g.n * c / chunks);
                int last = (int) ((long) g.n * (c + 1) / chunks);
                for (int n = first; n < last; n++) {
                    int xo = xc.offset + n * g.cin * g.h * g.w;
                    for (int o0 = 0; o0 < hw; o0 += tile) {
                        int nt = Math.min(tile, hw - o0);
                        int ld = col == null ? hw : nt;
                        int so = col == null ? xo + o0 : 0;
                        if (col != null) {
                            im2col(xa, xo, g.h * g.w, g.cin, tab, hw, o0, nt, col, false);
                        }
                        for (int grp = 0; grp < g.groups; grp++) {
                            gemm(false, true, g.coutG, g.kg, nt, ga, gc.offset + (n * g.cout + grp * g.coutG) * hw + o0,
                                    hw, col == null ? xa : col, so + grp * g.kg * ld, ld, n > first || o0 > 0,
                                    part, grp * g.coutG * g.kg, g.kg);
                        }
                    }
                }
                parts[c] = part;
            }
        });
        for (int c = 1; c < chunks; c++) {
            addInto(parts[0], parts[c], size);
        }
        return x.dtype == DType.FLOAT32 ? Tensor.wrap((float[]) parts[0], ws) : Tensor.wrap((double[]) parts[0], ws);
    }

    // ---------------------------------------------------------------- float32, stride 1: shifted rows

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
    private static final int MIN_ROWS = 4;
    /** Up to this many taps per group ({@code Cin/G·kh·kw}) the forward runs {@link GemmKernel#narrow} directly. */
    private static final int NARROW_K = 32;
    /** Output channels per call of {@link GemmKernel#narrow} (the vector kernel's row block). */
    private static final int NARROW_ROWS = 8;

    private static boolean shifted(DType dtype, Geo g) {
        return shiftedPath && dtype == DType.FLOAT32 && g.s.strideH() == 1 && g.s.strideW() == 1 && g.kg > 0
                && g.coutG > 0;
    }

    /**
     * Copies the {@code n·c} planes ({@code n, c, h, w} of {@code g}, i.e. {@code h×w} each) of {@code t} into planes
     * of {@code hp×wp}: {@code out[k·hp·wp + r·wp + q] = t[k, r − top, q − left]}, 0 outside the plane (wrapped when
     * {@code circular}); {@code top}/{@code left} may be negative (cropping). Trailing slack lets a tile of the
     * shifted forward read past the last plane.
     */
    private static float[] padded(String op, Tensor t, Geo g) {
        int ph = g.s.padH();
        return padded(op, t, g, ph, g.s.padW(), g.h + 2 * ph, gridWidth(g), g.s.mode() == PaddingMode.CIRCULAR);
    }

    /** Row width of the padded planes of {@link #padded(String, Tensor, Geo)}: see {@link #rowWidth}. */
    private static int gridWidth(Geo g) {
        int pw = g.s.padW();
        return g.s.mode() == PaddingMode.CIRCULAR ? g.w + 2 * pw : rowWidth(pw, g.w, g.wo, g.kw, g.s.dilationW());
    }

    /**
     * Row width of zero-padded planes for the shifted kernels: {@code left} zeros, the {@code w} columns, then zeros,
     * for outputs {@code wo} wide. A tap that reads past a row's columns lands on the next row's leading zeros, so
     * the trailing zeros need only cover what those do not: a 3×3 kernel with padding 1 needs one zero column
     * between rows, not two, and its grid of output positions is 29 wide for 28 outputs rather than 30, which saves
     * 1/30 of the products and of the copy.
     */
    private static int rowWidth(int left, int w, int wo, int kw, int dw) {
        return Math.max(Math.max(left + w, wo), wo + (kw - 1) * dw - Math.max(0, left));
    }

    /** {@link #padded(String, Tensor, Geo)} with explicit placement (the input adjoint's grid). */
    private static float[] padded(String op, Tensor t, Geo g, int top, int left, int hp, int wp, boolean circular) {
        int planes = g.n * g.cin;
        int h = g.h;
        int w = g.w;
        int plane = hp * wp;
        float[] src = t.f;
        int so = t.offset;
        int body = Shapes.numel(new int[] {planes, hp, wp}, op);
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
    private static int[] tapRows(Geo g, int plane, int wp) {
        int taps = g.kh * g.kw;
        int[] rows = new int[g.kg];
        for (int i = 0; i < g.kg; i++) {
            int c = i / taps;
            int p = i % taps / g.kw;
            int q = i % g.kw;
            rows[i] = c * plane + p * g.s.dilationH() * wp + q * g.s.dilationW();
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
    private static float[] shiftedConv(float[] xp, int wp, float[] w, int wOff, Geo g, float[] b, int bo) {
        GemmKernel kr = Gemm.KERNEL;
        int n = g.n;
        int cin = g.cin;
        int cout = g.cout;
        int hp = g.ho + g.s.dilationH() * (g.kh - 1);
        int mr = kr.mr();
        int nr = kr.nr();
        int ho = g.ho;
        int wo = g.wo;
        int groups = g.groups;
        int cinG = cin / groups;
        int coutG = cout / groups;
        int kg = g.kg;
        int plane = hp * wp;
        int panels = (coutG + mr - 1) / mr;
        int[] rows = tapRows(g, plane, wp);
        float[] y = new float[Shapes.numel(new int[] {n, cout, ho, wo}, "conv2d")];
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
                            for (int i = 0; i < ho; i++) {
                                kr.narrow(m, wo, kg, w, wOff + oc * kg, kg, xp,
                                        (img * cin + grp * cinG) * plane + i * wp, rows, b, bo + oc, y,
                                        ((img * cout + oc) * ho + i) * wo, ho * wo);
                            }
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
                                        c1 - t <= nr / 2 ? nr / 2 : nr);
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
    private static float[] narrowWeight(float[] xp, int wp, float[] gy, int gyOff, Geo g,
                                        Supplier<Object> buffer,
                                        ObjIntConsumer<Object> perImage) {
        Kernels kn = Backend.KERNELS;
        int ho = g.ho;
        int wo = g.wo;
        int hw = ho * wo;
        int kg = g.kg;
        int coutG = g.coutG;
        int cinG = g.cin / g.groups;
        int plane = (ho + g.s.dilationH() * (g.kh - 1)) * wp;
        int[] rows = tapRows(g, plane, wp);
        int chunks = Math.max(1, Math.min(g.n, MAX_CHUNKS));
        float[][] parts = new float[chunks][];
        Workers.forRange(chunks, 1, (c0, c1) -> {
            float[] col = new float[kg * hw];
            Object buf = buffer.get();
            for (int c = c0; c < c1; c++) {
                float[] part = new float[g.cout * kg];
                for (int img = (int) ((long) g.n * c / chunks); img < (long) g.n * (c + 1) / chunks; img++) {
                    for (int grp = 0; grp < g.groups; grp++) {
                        int xo = (img * g.cin + grp * cinG) * plane;
                        for (int t = 0; t < kg; t++) {
                            for (int i = 0; i < ho; i++) {
                                System.arraycopy(xp, xo + rows[t] + i * wp, col, t * hw + i * wo, wo);
                            }
                        }
                        kn.dots(gy, gyOff + (img * g.cout + grp * coutG) * hw, hw, coutG, col, 0, hw, kg, hw, part,
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
            addInto(parts[0], parts[c], g.cout * kg);
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
    private static float[] shiftedWeight(float[] xp, int wp, float[] gy, int gyOff, Geo g) {
        GemmKernel kr = Gemm.KERNEL;
        int mr = kr.mr();
        int nr = kr.nr();
        int hp = g.ho + g.s.dilationH() * (g.kh - 1);
        int plane = hp * wp;
        int ho = g.ho;
        int wo = g.wo;
        int cinG = g.cin / g.groups;
        int coutG = g.coutG;
        int kg = g.kg;
        int span = ho * wp;
        int[] rows = tapRows(g, plane, wp);
        int rowsPad = (kg + mr - 1) / mr * mr;
        int colPanels = (coutG + nr - 1) / nr;
        int ldp = colPanels * nr;
        int size = g.groups * rowsPad * ldp;
        int kc = blockDepth(span, KC_POS);
        int chunks = Math.max(1, Math.min(g.n, MAX_CHUNKS));
        float[][] parts = new float[chunks][];
        Workers.forRange(chunks, 1, (c0, c1) -> {
            float[] bp = new float[colPanels * nr * kc];
            int[] aRows = new int[mr];
            int[] at = new int[kc];
            for (int c = c0; c < c1; c++) {
                float[] part = new float[size];
                for (int img = (int) ((long) g.n * c / chunks); img < (long) g.n * (c + 1) / chunks; img++) {
                    for (int grp = 0; grp < g.groups; grp++) {
                        int xo = (img * g.cin + grp * cinG) * plane;
                        int go = gyOff + (img * g.cout + grp * coutG) * ho * wo;
                        for (int pc = 0; pc < span; pc += kc) {
                            int k = Math.min(kc, span - pc);
                            // bp[t·nr·kc + p·nr + o % nr] = gy[o, pc + p] on the grid (columns past coutG stay 0);
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
                                for (int p = 0, d = o / nr * nr * kc + o % nr; p < k; p++, d += nr) {
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
                                for (int p = 0, d = o / nr * nr * kc + o % nr; p < k; p++, d += nr) {
                                    bp[d] = at[p] >= 0 ? gy[src + at[p]] : 0f;
                                }
                            }
                            for (int t = 0; t < colPanels; t++) {
                                for (int s = 0; s < rowsPad; s += mr) {
                                    for (int r = 0; r < mr; r++) {
                                        aRows[r] = xo + rows[Math.min(s + r, kg - 1)] + pc;
                                    }
                                    kr.tileGather(k, xp, aRows, 1, bp, t * nr * kc, nr, null, 0, 1f, 1f, part,
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
            addInto(parts[0], parts[c], size);
        }
        float[] gw = new float[g.cout * kg];
        for (int o = 0; o < g.cout; o++) {
            int grp = o / coutG;
            for (int q = 0; q < kg; q++) {
                gw[o * kg + q] = parts[0][(grp * rowsPad + q) * ldp + o % coutG];
            }
        }
        return gw;
    }

    /** The kernel of the transposed convolution: {@code w'[g·cinG + c, o, p, q] = w[g·coutG + o, c, kh−1−p, kw−1−q]}. */
    private static float[] flipped(Tensor wc, Geo g) {
        int cinG = g.cin / g.groups;
        int taps = g.kh * g.kw;
        float[] out = new float[g.cout * g.kg];
        for (int o = 0; o < g.cout; o++) {
            int grp = o / g.coutG;
            for (int c = 0; c < cinG; c++) {
                for (int t = 0; t < taps; t++) {
                    out[(((grp * cinG + c) * g.coutG + o % g.coutG) * taps) + taps - 1 - t] =
                            wc.f[wc.offset + (o * cinG + c) * taps + t];
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- geometry

    /** Sizes of one convolution; {@code kg} is the inner GEMM dimension of a group, {@code (Cin/G)·kh·kw}. */
    private record Geo(int n, int cin, int h, int w, int cout, int kh, int kw, int ho, int wo, int groups,
                       int coutG, int kg, Conv2dSpec s) {
        /**
         * Output positions lowered at a time: the whole image for the direct path, else enough that the column tile
         * ({@code Cin·kh·kw × tile}) stays near 128 KiB, a multiple of 16 lanes.
         */
        int tile(int[] tab) {
            int hw = ho * wo;
            if (tab == null) {
                return Math.max(1, hw);
            }
            int t = (1 << 15) / Math.max(1, cin * kh * kw);
            return Math.max(1, Math.min(hw, Math.max(16, t - t % 16)));
        }

        /** The tap table, or null when the column matrix is the input itself (1x1, stride 1, no padding). */
        int[] taps() {
            if (kh == 1 && kw == 1 && s.strideH() == 1 && s.strideW() == 1 && s.padH() == 0 && s.padW() == 0) {
                return null;
            }
            return Conv.taps(h, w, kh, kw, ho, wo, s.strideH(), s.strideW(), s.padH(), s.padW(),
                    s.dilationH(), s.dilationW(), s.mode() == PaddingMode.CIRCULAR);
        }
    }

    /**
     * Checks the shapes of a convolution with input shape {@code xs}, weight shape {@code ws} and (for the adjoints)
     * output-side shape {@code gys}; {@code xReal}/{@code wReal} are the caller's actual tensors' shapes for messages
     * (null when derived).
     */
    private static Geo geo(String op, int[] xs, int[] ws, Conv2dSpec s, int[] gys, int[] xReal, int[] wReal) {
        if (s == null) {
            throw new IllegalArgumentException(op + ": spec is null");
        }
        int groups = s.groups();
        int cin = xs[1];
        int cout = ws[0];
        if (cin % groups != 0 || cout % groups != 0) {
            throw new IllegalArgumentException(op + ": groups " + groups + " must divide the input channels " + cin
                    + " and the output channels " + cout);
        }
        if (xReal != null && wReal != null && ws[1] * groups != cin) {
            throw new IllegalArgumentException(op + ": input channels differ: input " + Shapes.str(xReal) + " has "
                    + cin + ", weight " + Shapes.str(wReal) + " expects " + ws[1] * groups
                    + (groups == 1 ? "" : " (" + ws[1] + " per group x " + groups + " groups)"));
        }
        if (xs[2] < 0 || xs[3] < 0) {
            throw new IllegalArgumentException(op + ": negative input size (" + xs[2] + ", " + xs[3] + ")");
        }
        if (s.mode() == PaddingMode.CIRCULAR && (s.padH() > xs[2] || s.padW() > xs[3])) {
            throw new IllegalArgumentException(op + ": circular padding (" + s.padH() + ", " + s.padW()
                    + ") exceeds the input size (" + xs[2] + ", " + xs[3] + ")");
        }
        int ho = outSize(op, xs[2], ws[2], s.strideH(), s.padH(), s.dilationH());
        int wo = outSize(op, xs[3], ws[3], s.strideW(), s.padW(), s.dilationW());
        int[] ys = {xs[0], cout, ho, wo};
        if (gys != null && !Arrays.equals(ys, gys)) {
            throw new IllegalArgumentException(op + ": gradient " + Shapes.str(gys) + " does not match the output shape "
                    + Shapes.str(ys) + " of input " + Shapes.str(xs) + " and weight " + Shapes.str(ws));
        }
        Shapes.numel(ys, op);
        return new Geo(xs[0], cin, xs[2], xs[3], cout, ws[2], ws[3], ho, wo, groups, cout / groups,
                ws[1] * ws[2] * ws[3], s);
    }

    /**
     * The tap table of a sliding window over one {@code h×w} plane: entry {@code (p·kw + q)·ho·wo + i·wo + j} is the
     * in-plane offset read by tap {@code (p, q)} of output {@code (i, j)}, or -1 where it falls in zero padding
     * (circular padding wraps instead).
     */
    static int[] taps(int h, int w, int kh, int kw, int ho, int wo, int sh, int sw, int ph, int pw, int dh, int dw,
                      boolean circular) {
        int[] tab = new int[Shapes.numel(new int[] {kh, kw, ho, wo}, "taps")];
        int t = 0;
        for (int p = 0; p < kh; p++) {
            for (int q = 0; q < kw; q++) {
                for (int i = 0; i < ho; i++) {
                    int r = i * sh - ph + p * dh;
                    boolean rowIn = r >= 0 && r < h;
                    r = circular ? Math.floorMod(r, h) : r;
                    for (int j = 0; j < wo; j++, t++) {
                        int c = j * sw - pw + q * dw;
                        if (circular) {
                            tab[t] = r * w + Math.floorMod(c, w);
                        } else {
                            tab[t] = rowIn && c >= 0 && c < w ? r * w + c : -1;
                        }
                    }
                }
            }
        }
        return tab;
    }

    // ---------------------------------------------------------------- dtype dispatch

    /** Checks the two tensor operands of a convolution op (4 dims each, one dtype) and that the spec is given. */
    private static void operands(String op, String an, Tensor a, String bn, Tensor b, Conv2dSpec s) {
        rank4(op, an, a);
        rank4(op, bn, b);
        if (a.dtype != b.dtype) {
            throw new IllegalArgumentException(op + ": dtypes differ: " + a.dtype + " and " + b.dtype);
        }
        if (s == null) {
            throw new IllegalArgumentException(op + ": spec is null");
        }
    }

    private static void rank4(String op, String what, Tensor t) {
        if (t == null || t.dim() != 4) {
            throw new IllegalArgumentException(op + ": " + what + " must have 4 dims, got "
                    + (t == null ? "null" : Shapes.str(t.shape)));
        }
    }

    static Object data(Tensor t) {
        return t.f != null ? t.f : t.d;
    }

    static Object alloc(DType dtype, int n) {
        return dtype == DType.FLOAT32 ? new float[n] : new double[n];
    }

    /** {@link Gemm} on float[] or double[] operands; {@code accumulate} adds to {@code c} instead of overwriting. */
    private static void gemm(boolean ta, boolean tb, int m, int n, int k, Object a, int ao, int lda, Object b, int bo,
                             int ldb, boolean accumulate, Object c, int co, int ldc) {
        if (c instanceof float[] cf) {
            Gemm.sgemm(ta, tb, m, n, k, 1f, (float[]) a, ao, lda, (float[]) b, bo, ldb, accumulate ? 1f : 0f, cf, co, ldc);
        } else {
            Gemm.dgemm(ta, tb, m, n, k, 1.0, (double[]) a, ao, lda, (double[]) b, bo, ldb, accumulate ? 1 : 0,
                    (double[]) c, co, ldc);
        }
    }

    /**
     * Lowers output positions {@code [o0, o0 + nt)} of {@code channels} planes at {@code x[xo..]}:
     * {@code col[(c·taps + r)·nt + o − o0] = x[xo + c·plane + tab[r·hw + o]]} (0 where the table holds -1); with
     * {@code adjoint} it instead adds {@code col} back into {@code x} (col2im).
     */
    private static void im2col(Object x, int xo, int plane, int channels, int[] tab, int hw, int o0, int nt,
                               Object col, boolean adjoint) {
        int taps = tab.length / hw;
        for (int c = 0; c < channels; c++) {
            int base = xo + c * plane;
            for (int r = 0; r < taps; r++) {
                int t0 = r * hw + o0;
                int d = (c * taps + r) * nt - t0; // col[d + i] pairs with tab[i]
                if (x instanceof float[] xf) {
                    float[] cf = (float[]) col;
                    if (adjoint) {
                        for (int i = t0; i < t0 + nt; i++) {
                            if (tab[i] >= 0) {
                                xf[base + tab[i]] += cf[d + i];
                            }
                        }
                    } else {
                        for (int i = t0; i < t0 + nt; i++) {
                            cf[d + i] = tab[i] < 0 ? 0f : xf[base + tab[i]];
                        }
                    }
                } else {
                    double[] xd = (double[]) x;
                    double[] cd = (double[]) col;
                    if (adjoint) {
                        for (int i = t0; i < t0 + nt; i++) {
                            if (tab[i] >= 0) {
                                xd[base + tab[i]] += cd[d + i];
                            }
                        }
                    } else {
                        for (int i = t0; i < t0 + nt; i++) {
                            cd[d + i] = tab[i] < 0 ? 0 : xd[base + tab[i]];
                        }
                    }
                }
            }
        }
    }

    /** {@code y[yo + r·len + j] += b[bo + r]} for {@code r < rows}, {@code j < len}. */
    private static void addBias(Object y, int yo, Object b, int bo, int rows, int len) {
        for (int r = 0; r < rows; r++) {
            int p = yo + r * len;
            if (y instanceof float[] yf) {
                float v = ((float[]) b)[bo + r];
                for (int j = p; j < p + len; j++) {
                    yf[j] += v;
                }
            } else {
                double v = ((double[]) b)[bo + r];
                double[] yd = (double[]) y;
                for (int j = p; j < p + len; j++) {
                    yd[j] += v;
                }
            }
        }
    }

    /** {@code y[i] += b[i]} for {@code i < n}. */
    private static void addInto(Object y, Object b, int n) {
        if (y instanceof float[] yf) {
            Backend.KERNELS.axpy(1f, (float[]) b, 0, yf, 0, n);
        } else {
            double[] yd = (double[]) y;
            double[] bd = (double[]) b;
            for (int i = 0; i < n; i++) {
                yd[i] += bd[i];
            }
        }
    }
}
