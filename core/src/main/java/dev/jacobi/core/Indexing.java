package dev.jacobi.core;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.Strided;
import dev.jacobi.core.kernel.UnaryOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bodies of {@link Tensor}'s joining, splitting and indexing ops: cat, stack, split, indexSelect, gather and
 * scatterAdd, with the strided copy and the index checks they share, and the element offset behind {@link Tensor#get}.
 */
final class Indexing {
    private Indexing() {
    }

    /** Copies {@code src} (same shape and dtype) into the writable view {@code dst} of a fresh array. */
    static void copyInto(Tensor dst, Tensor src) {
        Strided plan = Strided.plan(dst.shape, src.strides, dst.strides);
        int ss = plan.innerStride(0);
        int ds = plan.innerStride(1);
        plan.forEach(new int[] {src.offset, dst.offset}, (o, n) -> {
            if (dst.f != null) {
                if (ds == 1) {
                    Backend.KERNELS.unary(UnaryOp.COPY, src.f, o[0], ss, dst.f, o[1], n, 0, 0);
                } else {
                    for (int i = 0; i < n; i++) {
                        dst.f[o[1] + i * ds] = src.f[o[0] + i * ss];
                    }
                }
            } else {
                for (int i = 0; i < n; i++) {
                    dst.d[o[1] + i * ds] = src.d[o[0] + i * ss];
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
        int inner = 1;
        for (int i = k + 1; i < t.shape.length; i++) {
            inner *= t.shape[i];
        }
        int j = os[k];
        for (int p = 0; p < index.length; p++) {
            checkIndex(index[p], t.shape[k], p, "gather");
            int in = p % inner;
            int outer = p / (inner * j);
            out.setRaw(p, t.rawAt(offsetOf(t, outer, index[p], in, k)));
        }
        return out;
    }

    /** Offset in {@code t} of the element with row-major outer index, index {@code mid} at dim k and inner index. */
    private static int offsetOf(Tensor t, int outer, int mid, int inner, int k) {
        int p = t.offset + mid * t.strides[k];
        for (int i = t.shape.length - 1; i > k; i--) {
            p += (inner % t.shape[i]) * t.strides[i];
            inner /= t.shape[i];
        }
        for (int i = k - 1; i >= 0; i--) {
            p += (outer % t.shape[i]) * t.strides[i];
            outer /= t.shape[i];
        }
        return p;
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
        int inner = 1;
        for (int i = k + 1; i < t.shape.length; i++) {
            inner *= t.shape[i];
        }
        int j = os[k];
        for (int p = 0; p < index.length; p++) {
            checkIndex(index[p], t.shape[k], p, "scatterAdd");
            int in = p % inner;
            int outer = p / (inner * j);
            int q = offsetOf(out, outer, index[p], in, k);
            out.setRaw(q, out.rawAt(q) + s.rawAt(s.offset + p));
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
