package dev.jacobi.core;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.BinaryOp;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Workers;
import java.util.Arrays;

/**
 * The reductions behind {@link Tensor}'s sum, mean, max, min, amax, amin, norm and logSumExp: dim normalisation, the
 * {@code [outer, inner]} layout each reduction runs over, and the float32 sum that reads a bias gradient in place.
 */
final class Reductions {
    private Reductions() {
    }

    enum Reduce { SUM, MAX, MIN }

    static int[] normDims(Tensor t, int[] dims, String op) {
        boolean[] mark = new boolean[t.shape.length];
        for (int dd : dims) {
            int k = Shapes.dim(dd, t.shape.length, op);
            if (mark[k]) {
                throw new IllegalArgumentException(op + ": dim " + dd + " repeated in " + Arrays.toString(dims));
            }
            mark[k] = true;
        }
        int[] sorted = new int[dims.length];
        for (int i = 0, j = 0; i < t.shape.length; i++) {
            if (mark[i]) {
                sorted[j++] = i;
            }
        }
        return sorted;
    }

    static int[] allDims(int rank) {
        int[] a = new int[rank];
        for (int i = 0; i < rank; i++) {
            a[i] = i;
        }
        return a;
    }

    /** {@code mark[k]} for each of the normalised dims {@code red}. */
    private static boolean[] marked(Tensor t, int[] red) {
        boolean[] mark = new boolean[t.shape.length];
        for (int k : red) {
            mark[k] = true;
        }
        return mark;
    }

    /** Layout for reducing {@code dims}: a contiguous [outer, inner] tensor and the result shape. */
    private static Tensor reductionLayout(Tensor t, int[] red) {
        boolean[] mark = marked(t, red);
        int[] perm = new int[t.shape.length];
        int j = 0;
        for (int i = 0; i < t.shape.length; i++) {
            if (!mark[i]) {
                perm[j++] = i;
            }
        }
        for (int k : red) {
            perm[j++] = k;
        }
        return t.permute(perm).contiguous();
    }

    private static int[] reducedShape(Tensor t, int[] red, boolean keepdim) {
        boolean[] mark = marked(t, red);
        int[] out = new int[keepdim ? t.shape.length : t.shape.length - red.length];
        for (int i = 0, j = 0; i < t.shape.length; i++) {
            if (!mark[i]) {
                out[j++] = t.shape[i];
            } else if (keepdim) {
                out[j++] = 1;
            }
        }
        return out;
    }

    static Tensor reduce(Tensor t, Reduce kind, int[] dims, boolean keepdim, String op) {
        int[] red = normDims(t, dims, op);
        int[] outShape = reducedShape(t, red, keepdim);
        if (kind == Reduce.SUM && t.dtype == DType.FLOAT32 && t.isContiguous()) {
            Tensor kept = sumAroundKept(t, red, outShape);
            if (kept != null) {
                return kept;
            }
        }
        if (t.isContiguous() && red.length > 0) {
            Tensor across = acrossRows(t, kind, red, outShape);
            if (across != null) {
                return across;
            }
        }
        Tensor x = reductionLayout(t, red);
        int outer = Shapes.numel(outShape, op);
        int inner = outer == 0 ? 0 : t.numel() / outer;
        if (inner == 0 && kind != Reduce.SUM) {
            throw new IllegalArgumentException(op + ": cannot reduce over an empty dim of shape "
                    + Shapes.str(t.shape));
        }
        if (t.dtype == DType.FLOAT32 && outer <= 16 && inner >= 2 * PIECE) {
            return inPieces(x, kind, outer, inner, outShape);
        }
        Tensor out = Tensor.empty(t.dtype, outShape);
        Kernels k = Backend.KERNELS;
        Workers.forRange(outer, Math.max(1, (1 << 15) / Math.max(1, inner)), (a, b) -> {
            for (int o = a; o < b; o++) {
                int base = x.offset + o * inner;
                if (t.dtype == DType.FLOAT32) {
                    out.f()[o] = run(k, kind, x.f(), base, inner);
                } else {
                    double[] xd = x.d();
                    double acc = kind == Reduce.SUM ? 0 : xd[base];
                    for (int i = 0; i < inner; i++) {
                        double v = xd[base + i];
                        acc = switch (kind) {
                            case SUM -> acc + v;
                            case MAX -> v > acc || v != v ? (acc != acc ? acc : v) : acc;
                            case MIN -> v < acc || v != v ? (acc != acc ? acc : v) : acc;
                        };
                    }
                    out.d()[o] = acc;
                }
            }
        });
        return out;
    }

    /** Elements per piece of {@link #inPieces}. */
    private static final int PIECE = 1 << 15;

    /**
     * A float32 reduction of at most 16 long rows ({@code [outer, inner]}, contiguous): each row is cut into pieces of
     * PIECE elements, reduced in parallel, and the pieces' results combined in order, so the bits do not depend on
     * the thread count.
     */
    private static Tensor inPieces(Tensor x, Reduce kind, int outer, int inner, int[] outShape) {
        Kernels k = Backend.KERNELS;
        int pieces = (inner + PIECE - 1) / PIECE;
        float[] part = new float[outer * pieces];
        Workers.forRange(outer * pieces, 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int from = p % pieces * PIECE;
                int start = x.offset + p / pieces * inner + from;
                int n = Math.min(PIECE, inner - from);
                part[p] = run(k, kind, x.f(), start, n);
            }
        });
        Tensor out = Tensor.empty(DType.FLOAT32, outShape);
        for (int o = 0; o < outer; o++) {
            out.f()[o] = run(k, kind, part, o * pieces, pieces);
        }
        return out;
    }

    /** {@code kind} over the float32 run {@code a[off, off + n)}. */
    private static float run(Kernels k, Reduce kind, float[] a, int off, int n) {
        return switch (kind) {
            case SUM -> k.sum(a, off, n);
            case MAX -> k.max(a, off, n);
            case MIN -> k.min(a, off, n);
        };
    }

    /** Rows summed per block before they are added to the result, which bounds the float32 rounding error. */
    private static final int SUM_BLOCK = 64;

    /**
     * Sum over {@code red} of a contiguous float32 tensor whose kept dims form one consecutive run after at least
     * one reduced dim, viewed as {@code [a, c, b]} with {@code c} kept (a bias gradient: {@code [N, C]} over dim 0,
     * or {@code [N, C, H, W]} over dims 0, 2, 3). Reads the data in place instead of copying it into the
     * {@code [c, a·b]} layout; returns null when the dims do not have that form. Each output is summed in the same
     * order for any thread count.
     */
    private static Tensor sumAroundKept(Tensor t, int[] red, int[] outShape) {
        boolean[] mark = marked(t, red);
        int[] shape = t.shape;
        int k0 = 0;
        while (k0 < shape.length && mark[k0]) {
            k0++;
        }
        int k1 = k0;
        while (k1 < shape.length && !mark[k1]) {
            k1++;
        }
        for (int i = k1; i < shape.length; i++) {
            if (!mark[i]) {
                return null;
            }
        }
        int a = Shapes.numel(Arrays.copyOfRange(shape, 0, k0), "sum");
        int c = Shapes.numel(Arrays.copyOfRange(shape, k0, k1), "sum");
        if (k0 == 0 || k1 == k0 || a <= 1 || t.numel() == 0) {
            return null;
        }
        int b = t.numel() / a / c;
        Tensor out = Tensor.empty(DType.FLOAT32, outShape);
        float[] x = t.f();
        int x0 = t.offset;
        Kernels k = Backend.KERNELS;
        if (b == 1) {
            // column sums: rows are added as vectors, a block of SUM_BLOCK rows at a time, over 1024 columns per task
            int units = (c + 1023) / 1024;
            Workers.forRange(units, Math.max(1, (1 << 15) / a / 1024), (u0, u1) -> {
                float[] blk = a > SUM_BLOCK ? new float[1024] : null;
                for (int u = u0; u < u1; u++) {
                    int j0 = u * 1024;
                    sumRows(x, x0 + j0, c, a, out.f(), j0, Math.min(1024, c - j0), blk);
                }
            });
            return out;
        }
        Workers.forRange(c, Math.max(1, (1 << 15) / a / b), (j0, j1) -> {
            for (int j = j0; j < j1; j++) {
                float total = 0f;
                for (int r0 = 0; r0 < a; r0 += SUM_BLOCK) {
                    float blk = 0f;
                    for (int r = r0, r1 = Math.min(a, r0 + SUM_BLOCK); r < r1; r++) {
                        blk += k.sum(x, x0 + (r * c + j) * b, b);
                    }
                    total += blk;
                }
                out.f()[j] = total;
            }
        });
        return out;
    }

    /**
     * {@code out[oo, oo + n) = Σ_r x[from + r·stride, … + n)} over {@code rows} rows, summed a block of SUM_BLOCK
     * rows at a time ({@link Kernels#sumRows}, into {@code blk} after the first block; null when there is one) and the
     * blocks added in turn.
     */
    private static void sumRows(float[] x, int from, int stride, int rows, float[] out, int oo, int n, float[] blk) {
        Kernels k = Backend.KERNELS;
        k.sumRows(x, from, stride, Math.min(rows, SUM_BLOCK), out, oo, n);
        for (int r0 = SUM_BLOCK; r0 < rows; r0 += SUM_BLOCK) {
            k.sumRows(x, from + r0 * stride, stride, Math.min(SUM_BLOCK, rows - r0), blk, 0, n);
            k.binary(BinaryOp.ADD, out, oo, 1, blk, 0, 1, out, oo, n);
        }
    }

    /** Columns per task of {@link #acrossRows}, and the fewest it takes (shorter rows copy into the row layout). */
    private static final int ROW_CHUNK = 1024;
    private static final int MIN_ROW = 16;

    /**
     * A reduction of a contiguous tensor over one consecutive run of dims followed by kept dims, viewed as
     * {@code [a, r, b]} with {@code r} reduced and {@code b ≥ 16} (a sum over dim 1 of {@code [N, C, H, W]}): whole
     * rows of {@code b} are combined into the output, as vectors for float32, instead of first copying the input into
     * the {@code [a·b, r]} layout. Null when the dims have another form. Each output is combined in the same order for
     * any thread count.
     */
    private static Tensor acrossRows(Tensor t, Reduce kind, int[] red, int[] outShape) {
        int first = red[0];
        int last = red[red.length - 1];
        if (last - first + 1 != red.length || last == t.shape.length - 1 || t.numel() == 0) {
            return null;
        }
        int a = Shapes.numel(Arrays.copyOfRange(t.shape, 0, first), "reduce");
        int r = Shapes.numel(Arrays.copyOfRange(t.shape, first, last + 1), "reduce");
        int b = t.numel() / a / r;
        if (b < MIN_ROW) {
            return null;
        }
        Tensor out = Tensor.empty(t.dtype, outShape);
        int per = (b + ROW_CHUNK - 1) / ROW_CHUNK;
        BinaryOp op = kind == Reduce.SUM ? BinaryOp.ADD : kind == Reduce.MAX ? BinaryOp.MAX : BinaryOp.MIN;
        Kernels k = Backend.KERNELS;
        Workers.forRange(a * per, Math.max(1, (1 << 15) / r / Math.min(b, ROW_CHUNK)), (u0, u1) -> {
            boolean blocks = t.f() != null && kind == Reduce.SUM && r > SUM_BLOCK;
            float[] blk = blocks ? new float[Math.min(b, ROW_CHUNK)] : null;
            for (int u = u0; u < u1; u++) {
                int i = u / per;
                int j0 = u % per * ROW_CHUNK;
                int n = Math.min(ROW_CHUNK, b - j0);
                int src = t.offset + i * r * b + j0;
                int dst = i * b + j0;
                if (t.f() != null && kind == Reduce.SUM) {
                    sumRows(t.f(), src, b, r, out.f(), dst, n, blk);
                } else if (t.f() != null) {
                    System.arraycopy(t.f(), src, out.f(), dst, n);
                    for (int q = 1; q < r; q++) {
                        k.binary(op, out.f(), dst, 1, t.f(), src + q * b, 1, out.f(), dst, n);
                    }
                } else {
                    double[] td = t.d();
                    double[] od = out.d();
                    System.arraycopy(td, src, od, dst, n);
                    for (int q = 1; q < r; q++) {
                        for (int j = 0; j < n; j++) {
                            od[dst + j] = op.apply(od[dst + j], td[src + q * b + j]);
                        }
                    }
                }
            }
        });
        return out;
    }

    /** The number of elements each output of a reduction over {@code dims} combines. */
    static int count(Tensor t, int[] dims, String op) {
        int c = 1;
        for (int k : normDims(t, dims, op)) {
            c *= t.shape[k];
        }
        return c;
    }

    /** The body of {@link Tensor#max(int, boolean)} and {@link Tensor#min(int, boolean)}. */
    static Tensor.ValuesIndices extreme(Tensor t, int dim, boolean keepdim, boolean isMax, String op) {
        int k = Shapes.dim(dim, t.shape.length, op);
        int[] red = {k};
        int[] outShape = reducedShape(t, red, keepdim);
        int r = t.shape[k];
        if (r == 0) {
            throw new IllegalArgumentException(op + ": cannot reduce over an empty dim of shape "
                    + Shapes.str(t.shape));
        }
        // viewed as [a, r, b]: each row of b outputs is updated from the input rows in order, first extreme kept and
        // a NaN, once met, kept
        Tensor x = t.contiguous();
        int b = 1;
        for (int i = k + 1; i < t.shape.length; i++) {
            b *= t.shape[i];
        }
        int a = t.numel() / r / Math.max(1, b);
        Tensor out = Tensor.empty(t.dtype, outShape);
        int[] idx = new int[a * b];
        for (int i = 0; i < a; i++) {
            int base = x.offset + i * r * b;
            for (int j = 0; j < b; j++) {
                out.setRaw(i * b + j, x.rawAt(base + j));
            }
            for (int q = 1; q < r; q++) {
                for (int j = 0, o = i * b; j < b; j++, o++) {
                    double bv = out.rawAt(o);
                    double v = x.rawAt(base + q * b + j);
                    if (bv == bv && (v != v || (isMax ? v > bv : v < bv))) {
                        out.setRaw(o, v);
                        idx[o] = q;
                    }
                }
            }
        }
        return new Tensor.ValuesIndices(out, idx);
    }

    /** The body of {@link Tensor#norm(double, int[], boolean)}. */
    static Tensor norm(Tensor t, double p, int[] dims, boolean keepdim) {
        if (p == 1) {
            return t.abs().sum(dims, keepdim);
        } else if (p == 2) {
            return t.square().sum(dims, keepdim).sqrt();
        } else if (p == Double.POSITIVE_INFINITY) {
            return t.abs().amax(dims, keepdim);
        }
        throw new IllegalArgumentException("norm: p must be 1, 2 or infinity, got " + p);
    }

    /** The body of {@link Tensor#logSumExp(int[], boolean)}. */
    static Tensor logSumExp(Tensor t, int[] dims, boolean keepdim) {
        Tensor m = t.amax(dims, true);
        Tensor safeM = Tensor.where(m.abs().lt(Double.POSITIVE_INFINITY), m, Tensor.zerosLike(m));
        Tensor r = t.sub(safeM).exp().sum(dims, true).log().add(safeM);
        return keepdim ? r : r.reshape(reducedShape(t, normDims(t, dims, "logSumExp"), false));
    }
}
