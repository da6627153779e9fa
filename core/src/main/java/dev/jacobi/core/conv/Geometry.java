package dev.jacobi.core.conv;

import dev.jacobi.core.kernel.Dims;
import java.util.Arrays;

/**
 * Sizes of one convolution; {@code kg} is the inner GEMM dimension of a group, {@code (Cin/G)·kh·kw}.
 *
 * @param s the window (stride, padding, dilation, groups, mode)
 */
record Geometry(int n, int cin, int h, int w, int cout, int kh, int kw, int ho, int wo, int groups, int coutG, int kg,
                Window s) {
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
        return taps(h, w, kh, kw, ho, wo, s.strideH(), s.strideW(), s.padH(), s.padW(), s.dilationH(), s.dilationW(),
                s.circular());
    }

    /**
     * Output length of a convolution along one axis: {@code ⌊(in + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1}.
     *
     * @throws IllegalArgumentException naming {@code op} if an argument is out of range or the kernel does not fit
     *                                  the padded input
     */
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
     * Checks the shapes of a convolution with input shape {@code xs}, weight shape {@code ws} and (for the adjoints)
     * output-side shape {@code gys}; {@code xReal}/{@code wReal} are the caller's actual tensors' shapes for messages
     * (null when derived).
     */
    static Geometry of(String op, int[] xs, int[] ws, Window s, int[] gys, int[] xReal, int[] wReal) {
        int groups = s.groups();
        int cin = xs[1];
        int cout = ws[0];
        if (cin % groups != 0 || cout % groups != 0) {
            throw new IllegalArgumentException(op + ": groups " + groups + " must divide the input channels " + cin
                    + " and the output channels " + cout);
        }
        if (xReal != null && wReal != null && ws[1] * groups != cin) {
            throw new IllegalArgumentException(op + ": input channels differ: input " + Dims.str(xReal) + " has "
                    + cin + ", weight " + Dims.str(wReal) + " expects " + ws[1] * groups
                    + (groups == 1 ? "" : " (" + ws[1] + " per group x " + groups + " groups)"));
        }
        if (xs[2] < 0 || xs[3] < 0) {
            throw new IllegalArgumentException(op + ": negative input size (" + xs[2] + ", " + xs[3] + ")");
        }
        if (s.circular() && (s.padH() > xs[2] || s.padW() > xs[3])) {
            throw new IllegalArgumentException(op + ": circular padding (" + s.padH() + ", " + s.padW()
                    + ") exceeds the input size (" + xs[2] + ", " + xs[3] + ")");
        }
        int ho = outSize(op, xs[2], ws[2], s.strideH(), s.padH(), s.dilationH());
        int wo = outSize(op, xs[3], ws[3], s.strideW(), s.padW(), s.dilationW());
        int[] ys = {xs[0], cout, ho, wo};
        if (gys != null && !Arrays.equals(ys, gys)) {
            throw new IllegalArgumentException(op + ": gradient " + Dims.str(gys) + " does not match the output shape "
                    + Dims.str(ys) + " of input " + Dims.str(xs) + " and weight " + Dims.str(ws));
        }
        Dims.numel(ys, op);
        return new Geometry(xs[0], cin, xs[2], xs[3], cout, ws[2], ws[3], ho, wo, groups, cout / groups,
                ws[1] * ws[2] * ws[3], s);
    }

    /**
     * The tap table of a sliding window over one {@code h×w} plane: entry {@code (p·kw + q)·ho·wo + i·wo + j} is the
     * in-plane offset read by tap {@code (p, q)} of output {@code (i, j)}, or -1 where it falls in zero padding
     * (circular padding wraps instead).
     */
    static int[] taps(int h, int w, int kh, int kw, int ho, int wo, int sh, int sw, int ph, int pw, int dh, int dw,
                      boolean circular) {
        int[] tab = new int[Dims.numel(new int[] {kh, kw, ho, wo}, "taps")];
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
}
