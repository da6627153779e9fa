package dev.jacobi.core;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.BinaryOp;
import dev.jacobi.core.kernel.Strided;
import dev.jacobi.core.kernel.UnaryOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bodies of {@link Tensor}'s joining, splitting and indexing ops: cat, stack, split, indexSelect, indexAdd,
 * gather and scatterAdd, with the strided copy and add and the index checks they share, and the element offset behind
 * {@link Tensor#get}.
 */
final class Indexing {
    private Indexing() {
    }

    /** Copies {@code src} (same shape and dtype) into the writable view {@code dst} of a fresh array. */
    static void copyInto(Tensor dst, Tensor src) {
        into(dst, src, false);
    }

    /** Adds {@code src} (same shape and dtype) into the writable view {@code dst} of a fresh array. */
    static void addInto(Tensor dst, Tensor src) {
        into(dst, src, true);
    }

    private static void into(Tensor dst, Tensor src, boolean add) {
        Strided plan = Strided.plan(dst.shape, src.strides, dst.strides);
        int ss = plan.innerStride(0);
        int ds = plan.innerStride(1);
        plan.forEach(new int[] {src.offset, dst.offset}, (o, n) -> {
            if (dst.f() != null && ds == 1 && add) {
                Backend.KERNELS.binary(BinaryOp.ADD, dst.f(), o[1], 1, src.f(), o[0], ss, dst.f(), o[1], n);
            } else if (dst.f() != null && ds == 1) {
                Backend.KERNELS.unary(UnaryOp.COPY, src.f(), o[0], ss, dst.f(), o[1], n, 0, 0);
            } else {
                for (int i = 0; i < n; i++) {
                    int q = o[1] + i * ds;
                    dst.setRaw(q, (add ? dst.rawAt(q) : 0) + src.rawAt(o[0] + i * ss));
                }
            }
        });
    }

    /** The body of {@link Tensor#cat}. */
    static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("cat: no tensors given");
        }
        Tensor first = tensors.get(0);
        int k = Shapes.dim(dim, first.shape.length, "cat");
        int total = 0;
        for (Tensor t : tensors) {
            if (t.dtype != first.dtype) {
                throw new IllegalArgumentException("cat: dtypes differ: " + first.dtype + " and " + t.dtype);
            }
            boolean ok = t.shape.length == first.shape.length;
            for (int i = 0; ok && i < t.shape.length; i++) {
                ok = i == k || t.shape[i] == first.shape[i];
            }
            if (!ok) {
                throw new IllegalArgumentException("cat: shapes " + Shapes.str(first.shape) + " and "
                        + Shapes.str(t.shape) + " differ outside dim " + k);
            }
            total += t.shape[k];
        }
        int[] os = first.shape.clone();
        os[k] = total;
        Tensor out = Tensor.empty(first.dtype, os);
        int at = 0;
        for (Tensor t : tensors) {
            copyInto(out.narrow(k, at, t.shape[k]), t);
            at += t.shape[k];
        }
        return out;
    }

    /** The body of {@link Tensor#stack}. */
    static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack: no tensors given");
        }
        int k = Shapes.dim(dim, tensors.get(0).shape.length + 1, "stack");
        List<Tensor> u = new ArrayList<>(tensors.size());
        for (Tensor t : tensors) {
            if (!Arrays.equals(t.shape, tensors.get(0).shape)) {
                throw new IllegalArgumentException("stack: shapes differ: " + Shapes.str(tensors.get(0).shape)
                        + " and " + Shapes.str(t.shape));
            }
            u.add(t.unsqueeze(k));
        }
        return cat(u, k);
    }

    /** The body of {@link Tensor#split}. */
    static List<Tensor> split(Tensor t, int splitSize, int dim) {
        int k = Shapes.dim(dim, t.shape.length, "split");
        if (splitSize <= 0) {
            throw new IllegalArgumentException("split: split size must be positive, got " + splitSize);
        }
        List<Tensor> parts = new ArrayList<>();
        for (int s = 0; s < t.shape[k]; s += splitSize) {
            parts.add(t.narrow(k, s, Math.min(splitSize, t.shape[k] - s)));
        }
        return parts;
    }

    private static void checkIndex(int i, int size, int pos, String op) {
        if (i < 0 || i >= size) {
            throw new IllegalArgumentException(op + ": index " + i + " at position " + pos
                    + " is outside [0, " + size + ")");
        }
    }

    /** The body of {@link Tensor#indexSelect}. */
    static Tensor indexSelect(Tensor t, int dim, int[] index) {
        int k = Shapes.dim(dim, t.shape.length, "indexSelect");
        int[] os = t.shape.clone();
        os[k] = index.length;
        Tensor out = Tensor.empty(t.dtype, os);
        for (int i = 0; i < index.length; i++) {
            checkIndex(index[i], t.shape[k], i, "indexSelect");
            copyInto(out.narrow(k, i, 1), t.narrow(k, index[i], 1));
        }
        return out;
    }

    /** The body of {@link Tensor#indexAdd}. */
    static Tensor indexAdd(Tensor t, int dim, int[] index, Tensor src) {
        int k = Shapes.dim(dim, t.shape.length, "indexAdd");
        int[] os = t.shape.clone();
        os[k] = index.length;
        if (!Arrays.equals(os, src.shape) || src.dtype != t.dtype) {
            throw new IllegalArgumentException("indexAdd: source " + Shapes.str(src.shape) + " " + src.dtype
                    + " does not match " + Shapes.str(os) + " " + t.dtype + " (this shape with dim " + k
                    + " resized to the " + index.length + " indices)");
        }
        Tensor out = t.unary(UnaryOp.COPY, 0, 0);
        for (int i = 0; i < index.length; i++) {
            checkIndex(index[i], t.shape[k], i, "indexAdd");
            addInto(out.narrow(k, index[i], 1), src.narrow(k, i, 1));
        }
        return out;
    }

    /** Shape of a gather/scatter index: {@code t}'s shape with dim {@code k} resized to fit {@code indexLength}. */
    private static int[] indexShape(Tensor t, int k, int indexLength, String op) {
        int others = t.shape[k] == 0 ? 0 : t.numel() / t.shape[k];
        if (others == 0 || indexLength % others != 0) {
            throw new IllegalArgumentException(op + ": " + indexLength + " indices do not fit shape "
                    + Shapes.str(t.shape) + " with dim " + k + " resized");
        }
        int[] os = t.shape.clone();
        os[k] = indexLength / others;
        return os;
    }

    /** The body of {@link Tensor#gather}. */
    static Tensor gather(Tensor t, int dim, int[] index) {
        int k = Shapes.dim(dim, t.shape.length, "gather");
        int[] os = indexShape(t, k, index.length, "gather");
        Tensor out = Tensor.empty(t.dtype, os);
        Tensor c = t.contiguous();
        int[] from = offsets(t.shape, k, os[k], index, c.offset, "gather");
        if (c.f() != null) {
            float[] src = c.f();
            float[] dst = out.f();
            for (int p = 0; p < from.length; p++) {
                dst[p] = src[from[p]];
            }
        } else {
            double[] src = c.d();
            double[] dst = out.d();
            for (int p = 0; p < from.length; p++) {
                dst[p] = src[from[p]];
            }
        }
        return out;
    }

    /**
     * Where each gathered element sits in a contiguous tensor of {@code shape} starting at {@code base}: entry
     * {@code p} of the row-major index (of the result's shape, {@code j} at dim {@code k}) replaces its dim-k position.
     */
    private static int[] offsets(int[] shape, int k, int j, int[] index, int base, String op) {
        int inner = 1;
        for (int i = k + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        int size = shape[k];
        int[] at = new int[index.length];
        int p = 0;
        for (int row = base; p < index.length; row += size * inner) {
            for (int jj = 0; jj < j; jj++) {
                for (int in = 0; in < inner; in++, p++) {
                    int i = index[p];
                    if (i < 0 || i >= size) {
                        checkIndex(i, size, p, op);
                    }
                    at[p] = row + i * inner + in;
                }
            }
        }
        return at;
    }

    /** The body of {@link Tensor#scatterAdd}. */
    static Tensor scatterAdd(Tensor t, int dim, int[] index, Tensor src) {
        int k = Shapes.dim(dim, t.shape.length, "scatterAdd");
        int[] os = indexShape(t, k, index.length, "scatterAdd");
        if (!Arrays.equals(os, src.shape) || src.dtype != t.dtype) {
            throw new IllegalArgumentException("scatterAdd: source " + Shapes.str(src.shape) + " " + src.dtype
                    + " does not match the index shape " + Shapes.str(os) + " " + t.dtype);
        }
        Tensor out = t.unary(UnaryOp.COPY, 0, 0);
        Tensor s = src.contiguous();
        int[] to = offsets(t.shape, k, os[k], index, out.offset, "scatterAdd");
        if (out.f() != null) {
            float[] from = s.f();
            float[] dst = out.f();
            for (int p = 0, o = s.offset; p < to.length; p++) {
                dst[to[p]] += from[o + p];
            }
        } else {
            double[] from = s.d();
            double[] dst = out.d();
            for (int p = 0, o = s.offset; p < to.length; p++) {
                dst[to[p]] += from[o + p];
            }
        }
        return out;
    }

    /** Offset in {@code t}'s array of the element at {@code idx} (negative indices count from the end). */
    static int flatIndex(Tensor t, int[] idx, String op) {
        if (idx.length != t.shape.length) {
            throw new IllegalArgumentException(op + ": got " + idx.length + " indices for a tensor of shape "
                    + Shapes.str(t.shape));
        }
        int p = t.offset;
        for (int i = 0; i < idx.length; i++) {
            int k = idx[i] < 0 ? idx[i] + t.shape[i] : idx[i];
            if (k < 0 || k >= t.shape[i]) {
                throw new IllegalArgumentException(op + ": index " + idx[i] + " out of range for dim " + i
                        + " of shape " + Shapes.str(t.shape));
            }
            p += k * t.strides[i];
        }
        return p;
    }
}
