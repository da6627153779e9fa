package dev.jacobi.core;

import dev.jacobi.core.kernel.Workers;

/**
 * Spatial rearrangements of the last two dims: padding (PyTorch {@code F.pad} order) with its adjoint, and pixel
 * shuffle / unshuffle (mutually inverse permutations, hence each other's adjoint).
 */
public final class Spatial {
    private Spatial() {
    }

    /**
     * Pads the last dim by {@code (left, right)} and, with four entries, the second-to-last by {@code (top, bottom)}:
     * {@code out[.., i, j] = x[.., i − top, j − left]}, zero outside (ZEROS) or wrapped modulo the size (CIRCULAR).
     * Its adjoint is {@link #padAdjoint}.
     *
     * @param x    input with at least 1 (two pads) or 2 (four pads) dims
     * @param pads {@code {left, right}} or {@code {left, right, top, bottom}}, each at least 0 (and at most the size of
     *             its dim for CIRCULAR)
     * @param mode how to fill the border
     * @return the padded tensor
     */
    public static Tensor pad(Tensor x, int[] pads, PaddingMode mode) {
        Plan p = plan("pad", x, pads, mode, false);
        Tensor out = Tensor.empty(x.dtype, p.padded);
        run(p, x.contiguous(), out, false);
        return out;
    }

    /**
     * Adjoint of {@link #pad}: crops the border for ZEROS and for CIRCULAR also adds each wrapped border back onto the
     * entries it copied. Its adjoint is {@link #pad}.
     *
     * @param g    a tensor of the padded shape
     * @param pads the pads given to {@link #pad}
     * @param mode the mode given to {@link #pad}
     * @return a tensor of the unpadded shape
     */
    public static Tensor padAdjoint(Tensor g, int[] pads, PaddingMode mode) {
        Plan p = plan("padAdjoint", g, pads, mode, true);
        Tensor out = Tensor.empty(g.dtype, p.plain);
        run(p, g.contiguous(), out, true);
        return out;
    }

    /**
     * The unpadded and padded shapes, the planes' count and unpadded size ({@code h} is 1 with two pads), and for each
     * padded row/column its source row/column (-1: zero).
     */
    private record Plan(int[] plain, int[] padded, int batch, int h, int w, int[] rows, int[] cols) {
    }

    private static Plan plan(String op, Tensor t, int[] pads, PaddingMode mode, boolean fromPadded) {
        if (pads == null || (pads.length != 2 && pads.length != 4) || mode == null) {
            throw new IllegalArgumentException(op + ": need 2 or 4 pads and a mode, got "
                    + (pads == null ? "null" : java.util.Arrays.toString(pads)) + " and " + mode);
        }
        int two = pads.length / 2;
        if (t.dim() < two) {
            throw new IllegalArgumentException(op + ": " + pads.length + " pads need a tensor with at least " + two
                    + " dims, got " + Shapes.str(t.shape));
        }
        int[] plain = t.shape.clone();
        int[] padded = t.shape.clone();
        int[][] maps = new int[2][];
        int[] sizes = new int[2];
        for (int k = 0; k < 2; k++) {
            int before = k < two ? pads[2 * k] : 0;
            int after = k < two ? pads[2 * k + 1] : 0;
            int d = k < two ? t.dim() - 1 - k : -1;
            int size = d < 0 ? 1 : t.shape[d] - (fromPadded ? before + after : 0);
            if (before < 0 || after < 0 || size < 0
                    || (mode == PaddingMode.CIRCULAR && (before > size || after > size))) {
                throw new IllegalArgumentException(op + ": bad pads " + java.util.Arrays.toString(pads) + " for "
                        + mode + " padding of shape " + Shapes.str(t.shape)
                        + (mode == PaddingMode.CIRCULAR ? " (circular pads must be at most the size)" : ""));
            }
            sizes[k] = size;
            if (d >= 0) {
                plain[d] = size;
                padded[d] = size + before + after;
            }
            maps[k] = new int[size + before + after];
            for (int i = 0; i < maps[k].length; i++) {
                int s = i - before;
                maps[k][i] = s >= 0 && s < size ? s : mode == PaddingMode.CIRCULAR ? Math.floorMod(s, size) : -1;
            }
        }
        int batch = 1;
        for (int d = 0; d < t.dim() - two; d++) {
            batch *= t.shape[d];
        }
        return new Plan(plain, padded, batch, sizes[1], sizes[0], maps[1], maps[0]);
    }

    /** {@code padded[b,i,j] = plain[b, rows[i], cols[j]]}, or with {@code adjoint} the transposed (adding) map. */
    private static void run(Plan p, Tensor src, Tensor dst, boolean adjoint) {
        int[] rows = p.rows;
        int[] cols = p.cols;
        int w = p.w;
        int plainPlane = p.h * w;
        int paddedPlane = rows.length * cols.length;
        Workers.forRange(p.batch, Math.max(1, 8192 / Math.max(1, paddedPlane)), (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                for (int i = 0; i < rows.length; i++) {
                    if (rows[i] < 0) {
                        continue;
                    }
                    for (int j = 0; j < cols.length; j++) {
                        if (cols[j] < 0) {
                            continue;
                        }
                        int pp = b * paddedPlane + i * cols.length + j;
                        int pl = b * plainPlane + rows[i] * w + cols[j];
                        if (adjoint) {
                            dst.setRaw(pl, dst.rawAt(pl) + src.rawAt(src.offset + pp));
                        } else {
                            dst.setRaw(pp, src.rawAt(src.offset + pl));
                        }
                    }
                }
            }
        });
    }

    /**
     * Pixel shuffle: {@code out[.., c, h·r + i, w·r + j] = x[.., c·r² + i·r + j, h, w]}, {@code [.., C·r², H, W] ->
     * [.., C, H·r, W·r]}. Its inverse and adjoint is {@link #pixelUnshuffle}.
     *
     * @param x input with at least 3 dims whose channel count is divisible by {@code r²}
     * @param r upscale factor, at least 1
     * @return the rearranged tensor
     */
    public static Tensor pixelShuffle(Tensor x, int r) {
        int[] s = check("pixelShuffle", x, r);
        if (s[1] % (r * r) != 0) {
            throw new IllegalArgumentException("pixelShuffle: channels " + s[1] + " of " + Shapes.str(x.shape)
                    + " are not divisible by r^2 = " + r * r);
        }
        int c = s[1] / (r * r);
        return x.reshape(s[0], c, r, r, s[2], s[3]).permute(0, 1, 4, 2, 5, 3)
                .reshape(withLast3(x.shape, c, s[2] * r, s[3] * r));
    }

    /**
     * Pixel unshuffle: {@code out[.., c·r² + i·r + j, h, w] = x[.., c, h·r + i, w·r + j]}, {@code [.., C, H·r, W·r] ->
     * [.., C·r², H, W]}. Its inverse and adjoint is {@link #pixelShuffle}.
     *
     * @param x input with at least 3 dims whose last two sizes are divisible by {@code r}
     * @param r downscale factor, at least 1
     * @return the rearranged tensor
     */
    public static Tensor pixelUnshuffle(Tensor x, int r) {
        int[] s = check("pixelUnshuffle", x, r);
        if (s[2] % r != 0 || s[3] % r != 0) {
            throw new IllegalArgumentException("pixelUnshuffle: spatial size (" + s[2] + ", " + s[3] + ") of "
                    + Shapes.str(x.shape) + " is not divisible by r = " + r);
        }
        int h = s[2] / r;
        int w = s[3] / r;
        return x.reshape(s[0], s[1], h, r, w, r).permute(0, 1, 3, 5, 2, 4)
                .reshape(withLast3(x.shape, s[1] * r * r, h, w));
    }

    /** Checks rank and factor; returns {@code {batch, C, H, W}} with the leading dims folded into {@code batch}. */
    private static int[] check(String op, Tensor x, int r) {
        if (x.dim() < 3 || r < 1) {
            throw new IllegalArgumentException(op + ": need a tensor with at least 3 dims and a factor >= 1, got "
                    + Shapes.str(x.shape) + " and r = " + r);
        }
        int n = x.dim();
        int batch = 1;
        for (int d = 0; d < n - 3; d++) {
            batch *= x.shape[d];
        }
        return new int[] {batch, x.shape[n - 3], x.shape[n - 2], x.shape[n - 1]};
    }

    private static int[] withLast3(int[] shape, int c, int h, int w) {
        int[] s = shape.clone();
        s[s.length - 3] = c;
        s[s.length - 2] = h;
        s[s.length - 1] = w;
        return s;
    }
}
