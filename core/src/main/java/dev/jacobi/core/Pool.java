package dev.jacobi.core;

import dev.jacobi.core.conv.Convolution;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.CachingAllocator;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Workers;

/**
 * 2-D max and average pooling in NCHW layout (PyTorch semantics, {@code ceil_mode=false}) with their adjoints:
 * max pooling returns the flat positions of its maxima, whose adjoint pair is {@link #scatterFlat} /
 * {@link #gatherFlat}; {@link #avgPool2dAdjoint} is the adjoint of {@link #avgPool2d}.
 */
public final class Pool {
    private Pool() {
    }

    /**
     * Result of {@link #maxPool2d}.
     *
     * @param values  the maxima {@code [N, C, Ho, Wo]}
     * @param indices for each value (row-major), its flat row-major position in the contiguous input {@code [N, C, H, W]}
     */
    public record MaxPoolResult(Tensor values, int[] indices) {
    }

    /**
     * Max pooling: {@code y[n,c,i,j] = max_{p<kh, q<kw} x[n, c, i·sh − ph + p, j·sw − pw + q]}, padding counting as
     * −∞; ties keep the first maximum in row-major window order, a NaN wins. The adjoint of the pooling map at fixed
     * indices is {@link #scatterFlat}.
     *
     * @param x  input {@code [N, C, H, W]}
     * @param kh kernel height
     * @param kw kernel width
     * @param sh vertical stride
     * @param sw horizontal stride
     * @param ph vertical padding, at most {@code kh / 2}
     * @param pw horizontal padding, at most {@code kw / 2}
     * @return the maxima {@code [N, C, Ho, Wo]} and their flat input positions
     */
    public static MaxPoolResult maxPool2d(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        int[] os = outShape("maxPool2d", x, kh, kw, sh, sw, ph, pw);
        Tensor xc = x.contiguous();
        int h = x.shape[2];
        int w = x.shape[3];
        int hw = os[2] * os[3];
        int[] tab = Convolution.taps(h, w, kh, kw, os[2], os[3], sh, sw, ph, pw);
        Tensor out = Tensor.uninitialized(x.dtype, os);
        int[] idx = CachingAllocator.ints(out.numel());
        if (x.dtype == DType.FLOAT32 && ph == 0 && pw == 0) {
            maxPoolFloat(xc.f(), xc.offset, h, w, kh, kw, sh, sw, os, out.f(), idx);
            return new MaxPoolResult(out, idx);
        }
        Workers.forRange(os[0] * os[1], Math.max(1, 4096 / Math.max(1, hw)), (p0, p1) -> {
            for (int plane = p0; plane < p1; plane++) {
                int base = plane * h * w;
                for (int o = 0; o < hw; o++) {
                    int best = -1;
                    double bv = Double.NEGATIVE_INFINITY;
                    for (int t = o; t < tab.length && bv == bv; t += hw) {
                        int at = tab[t];
                        if (at >= 0) {
                            double v = xc.rawAt(xc.offset + base + at);
                            if (best < 0 || v > bv || v != v) {
                                bv = v;
                                best = at;
                            }
                        }
                    }
                    out.setRaw(plane * hw + o, bv);
                    idx[plane * hw + o] = base + best;
                }
            }
        });
        return new MaxPoolResult(out, idx);
    }

    /**
     * {@link #maxPool2d} for float32 without padding, where every window is inside the plane: the same result (the
     * first maximum in row-major window order, or the first NaN) read straight from the array by
     * {@link Kernels#maxPool}, which compares through {@link Kernels#maxKey} without branches on the data (random
     * inputs made comparisons mispredict about half the time). 2×2 windows at stride 2 go to
     * {@link Kernels#maxPool2x2}, which on the Vector API takes a vector of a row's windows at a time.
     */
    private static void maxPoolFloat(float[] x, int xo, int h, int w, int kh, int kw, int sh, int sw, int[] os,
                                     float[] out, int[] idx) {
        int ho = os[2];
        int wo = os[3];
        if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && h == 2 * ho) { // the common window, by rows of outputs
            int rows = os[0] * os[1] * ho;
            Workers.forRange(rows, Math.max(1, 4096 / Math.max(1, wo)),
                    (r0, r1) -> Backend.KERNELS.maxPool2x2(x, xo, w, wo, r0, r1, out, idx));
            return;
        }
        int[] taps = new int[kh * kw];
        for (int p = 0; p < kh; p++) {
            for (int q = 0; q < kw; q++) {
                taps[p * kw + q] = p * w + q;
            }
        }
        Workers.forRange(os[0] * os[1], Math.max(1, 4096 / Math.max(1, ho * wo)), (p0, p1) -> {
            for (int plane = p0, o = p0 * ho * wo; plane < p1; plane++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0, at = plane * h * w + i * sh * w; j < wo; j++, o++, at += sw) {
                        idx[o] = at;
                    }
                }
            }
            Backend.KERNELS.maxPool(x, xo, taps, idx, out, p0 * ho * wo, p1 * ho * wo);
        });
    }

    /**
     * Scatter-add into zeros: {@code out.flat[indices[i]] += g.flat[i]}; the adjoint of max pooling at fixed indices
     * and of {@link #gatherFlat}.
     *
     * @param g       values, row-major, {@code g.numel() == indices.length}
     * @param indices flat positions in {@code [0, numel(shape))}
     * @param shape   shape of the result
     * @return a tensor of {@code shape} and {@code g}'s dtype
     */
    public static Tensor scatterFlat(Tensor g, int[] indices, int[] shape) {
        Tensor out = Tensor.empty(g.dtype, shape);
        checkIndices("scatterFlat", g, indices, out.numel(), Shapes.str(shape));
        Tensor gc = g.contiguous();
        if (out.f() != null) {
            float[] of = out.f();
            float[] gf = gc.f();
            for (int i = 0, o = gc.offset; i < indices.length; i++, o++) {
                of[indices[i]] += gf[o];
            }
            return out;
        }
        for (int i = 0; i < indices.length; i++) {
            out.setRaw(indices[i], out.rawAt(indices[i]) + gc.rawAt(gc.offset + i));
        }
        return out;
    }

    /**
     * Gather: {@code out.flat[i] = x.flat[indices[i]]}, reshaped to {@code shape}; the adjoint of {@link #scatterFlat}.
     *
     * @param x       source tensor, read in row-major order
     * @param indices flat positions in {@code [0, x.numel())}
     * @param shape   shape of the result, with {@code numel(shape) == indices.length}
     * @return a tensor of {@code shape} and {@code x}'s dtype
     */
    public static Tensor gatherFlat(Tensor x, int[] indices, int[] shape) {
        Tensor out = Tensor.empty(x.dtype, shape);
        checkIndices("gatherFlat", out, indices, x.numel(), Shapes.str(x.shape));
        Tensor xc = x.contiguous();
        for (int i = 0; i < indices.length; i++) {
            out.setRaw(i, xc.rawAt(xc.offset + indices[i]));
        }
        return out;
    }

    private static void checkIndices(String op, Tensor values, int[] indices, int bound, String boundShape) {
        if (values.numel() != indices.length) {
            throw new IllegalArgumentException(op + ": " + indices.length + " indices for " + values.numel()
                    + " values of shape " + Shapes.str(values.shape));
        }
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= bound) {
                throw new IllegalArgumentException(op + ": index " + indices[i] + " at position " + i
                        + " is outside [0, " + bound + ") of shape " + boundShape);
            }
        }
    }

    /**
     * Average pooling with zero padding counted ({@code count_include_pad=true}):
     * {@code y[n,c,i,j] = (1/(kh·kw)) Σ_{p,q} xpad[n, c, i·sh + p, j·sw + q]}. Its adjoint is {@link #avgPool2dAdjoint}.
     *
     * @param x  input {@code [N, C, H, W]}
     * @param kh kernel height
     * @param kw kernel width
     * @param sh vertical stride
     * @param sw horizontal stride
     * @param ph vertical padding, at most {@code kh / 2}
     * @param pw horizontal padding, at most {@code kw / 2}
     * @return {@code [N, C, Ho, Wo]}
     */
    public static Tensor avgPool2d(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        int[] os = outShape("avgPool2d", x, kh, kw, sh, sw, ph, pw);
        Tensor planes = x.reshape(os[0] * os[1], 1, x.shape[2], x.shape[3]);
        return Conv.conv2d(planes, box(x.dtype, kh, kw), null, spec(sh, sw, ph, pw)).reshape(os);
    }

    /**
     * Adjoint of {@link #avgPool2d}: {@code gx[n,c,a,b] = (1/(kh·kw)) Σ gy[n,c,i,j]} over the windows {@code (i, j)}
     * covering {@code (a, b)}. Its adjoint is {@link #avgPool2d}.
     *
     * @param gy output-shaped tensor {@code [N, C, Ho, Wo]}
     * @param h  input height
     * @param w  input width
     * @param kh kernel height
     * @param kw kernel width
     * @param sh vertical stride
     * @param sw horizontal stride
     * @param ph vertical padding
     * @param pw horizontal padding
     * @return {@code [N, C, h, w]}
     */
    public static Tensor avgPool2dAdjoint(Tensor gy, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw) {
        String op = "avgPool2dAdjoint";
        if (gy.dim() != 4) {
            throw new IllegalArgumentException(op + ": gradient must be [N, C, Ho, Wo], got " + Shapes.str(gy.shape));
        }
        int[] xs = {gy.shape[0], gy.shape[1], h, w};
        int[] os = outShape(op, Tensor.empty(gy.dtype, new int[] {0, 0, h, w}), kh, kw, sh, sw, ph, pw);
        if (os[2] != gy.shape[2] || os[3] != gy.shape[3]) {
            throw new IllegalArgumentException(op + ": gradient " + Shapes.str(gy.shape) + " does not match the output"
                    + " size (" + os[2] + ", " + os[3] + ") of an input of size (" + h + ", " + w + ")");
        }
        Tensor planes = gy.reshape(xs[0] * xs[1], 1, os[2], os[3]);
        return Conv.conv2dInput(planes, box(gy.dtype, kh, kw), h, w, spec(sh, sw, ph, pw)).reshape(xs);
    }

    private static Tensor box(DType dtype, int kh, int kw) {
        return Tensor.full(dtype, 1.0 / ((double) kh * kw), 1, 1, kh, kw);
    }

    private static Conv2dSpec spec(int sh, int sw, int ph, int pw) {
        return new Conv2dSpec(sh, sw, ph, pw, 1, 1, 1, PaddingMode.ZEROS);
    }

    /** Checks a pooling's arguments and returns its output shape {@code [N, C, Ho, Wo]}. */
    private static int[] outShape(String op, Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException(op + ": input must be [N, C, H, W], got " + Shapes.str(x.shape));
        }
        if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || ph > kh / 2 || pw > kw / 2) {
            throw new IllegalArgumentException(op + ": need kernel >= 1, stride >= 1 and 0 <= padding <= kernel / 2,"
                    + " got kernel (" + kh + ", " + kw + "), stride (" + sh + ", " + sw + "), padding (" + ph + ", "
                    + pw + ")");
        }
        return new int[] {x.shape[0], x.shape[1], Convolution.outputSize(op, x.shape[2], kh, sh, ph, 1),
            Convolution.outputSize(op, x.shape[3], kw, sw, pw, 1)};
    }
}
