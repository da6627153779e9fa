package dev.jacobi.core;

import dev.jacobi.core.blas.Buf;
import dev.jacobi.core.blas.Dense;
import dev.jacobi.core.conv.Convolution;
import dev.jacobi.core.conv.Window;

/**
 * 2-D convolution in NCHW layout and its two adjoints, for both dtypes (the kernels are in
 * {@link dev.jacobi.core.conv}). The three ops are bilinear and close under differentiation: the adjoint of
 * {@link #conv2d} in the input is {@link #conv2dInput} (a transposed convolution), in the weight it is
 * {@link #conv2dWeight}. Work is split over disjoint outputs (or fixed image chunks), so results do not depend on the
 * thread count.
 *
 * <p>With the Vector API, float32 3×3 convolutions at stride 1 with at least 8 input and output channels, no groups,
 * no dilation and zero padding (and their input adjoints) run by Winograd's minimal filtering F(2×2, 3×3), as oneDNN
 * and cuDNN do: 16 products per 2×2 outputs and channel pair instead of 36. Their weight adjoints run by F(3×3, 2×2):
 * 16 products per 2×2 block of the gradient and channel pair instead of 36. The float32 results differ from the
 * direct sums by rounding only (about 1e-6 of the output's scale); float64 always sums directly.
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
        return Convolution.outputSize("outputSize", in, k, stride, pad, dilation);
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
        if (bias != null && (bias.dim() != 1 || bias.shape[0] != w.shape[0] || bias.dtype != x.dtype)) {
            throw new IllegalArgumentException(op + ": bias must be a " + x.dtype + " [" + w.shape[0] + "] for weight "
                    + Shapes.str(w.shape) + ", got " + bias.dtype + " " + Shapes.str(bias.shape));
        }
        return tensor(Convolution.conv2d(dense(x), dense(w), bias == null ? null : dense(bias), window(s)));
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
        operands("conv2dInput", "gradient", gy, "weight", w, s);
        return tensor(Convolution.conv2dInput(dense(gy), dense(w), h, w_, window(s)));
    }

    /**
     * Both adjoints of {@link #conv2d} at once, as PyTorch's {@code convolution_backward}: {@code {conv2dInput(gy, w,
     * H, W, s), conv2dWeight(x, gy, kh, kw, s)}}, bit for bit, in one pass over {@code gy} where that saves memory
     * traffic (a stride-1 first layer).
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
        Dense[] r = Convolution.conv2dBackward(dense(x), dense(gy), dense(w), window(s));
        return new Tensor[] {tensor(r[0]), tensor(r[1])};
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
        operands("conv2dWeight", "input", x, "gradient", gy, s);
        return tensor(Convolution.conv2dWeight(dense(x), dense(gy), kh, kw, window(s)));
    }

    /** Whether float32 stride-1 convolutions run on shifted rows (tests compare the two paths). */
    static boolean shiftedPath() {
        return Convolution.shiftedPath();
    }

    static void setShiftedPath(boolean on) {
        Convolution.setShiftedPath(on);
    }

    /** Whether 3×3 float32 convolutions on the shifted path run by Winograd's F(2×2, 3×3) (tests compare). */
    static boolean winogradPath() {
        return Convolution.winogradPath();
    }

    static void setWinogradPath(boolean on) {
        Convolution.setWinogradPath(on);
    }

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

    static Window window(Conv2dSpec s) {
        return new Window(s.strideH(), s.strideW(), s.padH(), s.padW(), s.dilationH(), s.dilationW(), s.groups(),
                s.mode() == PaddingMode.CIRCULAR);
    }

    /** The elements of {@code t} in row-major order, without a copy when it is contiguous. */
    static Dense dense(Tensor t) {
        Tensor c = t.contiguous();
        return new Dense(c.f() != null ? new Buf.F32(c.f()) : new Buf.F64(c.d()), c.offset, c.shape);
    }

    static Tensor tensor(Dense r) {
        int[] st = Shapes.contiguousStrides(r.shape());
        return r.data() instanceof Buf.F32 f ? new Tensor(DType.FLOAT32, f.a(), null, r.shape(), st, r.offset())
                : new Tensor(DType.FLOAT64, null, ((Buf.F64) r.data()).a(), r.shape(), st, r.offset());
    }
}
