package dev.jacobi.core;

import java.util.Arrays;

/**
 * The stride arithmetic behind {@link Tensor}'s views (reshape, flatten, transpose, permute, narrow, select, expand,
 * squeeze, unsqueeze): each returns a tensor over the same array with a new shape, strides and offset. Also the
 * row-major test behind {@link Tensor#isContiguous}.
 */
final class Views {
    private Views() {
    }

    /** The view, or {@code t} itself when nothing changes (so that an op's no-op views leave it without views). */
    private static Tensor view(Tensor t, int[] newShape, int[] newStrides, int newOffset) {
        if (newOffset == t.offset && Arrays.equals(newShape, t.shape) && Arrays.equals(newStrides, t.strides)) {
            return t;
        }
        return new Tensor(t, newShape, newStrides, newOffset);
    }

    /** The body of {@link Tensor#reshape}. */
    static Tensor reshape(Tensor t, int... newShape) {
        int numel = t.numel();
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape: only one size may be -1, got " + Shapes.str(newShape));
                }
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("reshape: negative size in " + Shapes.str(newShape));
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(t.shape) + " ("
                        + numel + " elements) to " + Shapes.str(newShape));
            }
            s[infer] = (int) (numel / known);
            known *= s[infer];
        }
        if (known != numel) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(t.shape) + " (" + numel
                    + " elements) to " + Shapes.str(newShape));
        }
        if (t.isContiguous()) {
            return view(t, s, Shapes.contiguousStrides(s), t.offset);
        }
        int[] st = viewStrides(t, s);
        return st != null ? view(t, s, st, t.offset) : t.contiguous().reshape(s);
    }

    /** Strides that let {@code newShape} view {@code t} without a copy, or null (PyTorch's rule). */
    private static int[] viewStrides(Tensor t, int[] newShape) {
        if (t.numel() == 0) {
            return Shapes.contiguousStrides(newShape);
        }
        int[] shape = t.shape;
        int[] strides = t.strides;
        int[] out = new int[newShape.length];
        int viewD = newShape.length - 1;
        long chunkBase = strides.length == 0 ? 1 : strides[strides.length - 1];
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int td = shape.length - 1; td >= 0; td--) {
            tensorNumel *= shape[td];
            if (td == 0 || (shape[td - 1] != 1 && strides[td - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    out[viewD] = (int) (viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (td > 0) {
                    chunkBase = strides[td - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? out : null;
    }

    /** The body of {@link Tensor#flatten(int, int)}. */
    static Tensor flatten(Tensor t, int start, int end) {
        int[] shape = t.shape;
        if (shape.length == 0) {
            return t.reshape(1);
        }
        int s = Shapes.dim(start, shape.length, "flatten");
        int e = Shapes.dim(end, shape.length, "flatten");
        if (s > e) {
            throw new IllegalArgumentException("flatten: start dim " + start + " is after end dim " + end);
        }
        int[] ns = new int[shape.length - (e - s)];
        int m = 1;
        for (int i = s; i <= e; i++) {
            m *= shape[i];
        }
        System.arraycopy(shape, 0, ns, 0, s);
        ns[s] = m;
        System.arraycopy(shape, e + 1, ns, s + 1, shape.length - e - 1);
        return t.reshape(ns);
    }

    /** The body of {@link Tensor#transpose}. */
    static Tensor transpose(Tensor t, int dim0, int dim1) {
        int a = Shapes.dim(dim0, t.shape.length, "transpose");
        int b = Shapes.dim(dim1, t.shape.length, "transpose");
        int[] p = new int[t.shape.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        p[a] = b;
        p[b] = a;
        return t.permute(p);
    }

    /** The body of {@link Tensor#permute}. */
    static Tensor permute(Tensor t, int... dims) {
        if (dims.length != t.shape.length) {
            throw new IllegalArgumentException("permute: got " + dims.length + " dims " + Arrays.toString(dims)
                    + " for shape " + Shapes.str(t.shape));
        }
        int[] ns = new int[dims.length];
        int[] st = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int k = Shapes.dim(dims[i], t.shape.length, "permute");
            if (seen[k]) {
                throw new IllegalArgumentException("permute: dim " + k + " repeated in " + Arrays.toString(dims));
            }
            seen[k] = true;
            ns[i] = t.shape[k];
            st[i] = t.strides[k];
        }
        return view(t, ns, st, t.offset);
    }

    /** The body of {@link Tensor#narrow}. */
    static Tensor narrow(Tensor t, int dim, int start, int length) {
        int k = Shapes.dim(dim, t.shape.length, "narrow");
        if (start < 0 || length < 0 || (long) start + length > t.shape[k]) {
            throw new IllegalArgumentException("narrow: start " + start + " length " + length
                    + " out of range for dim " + k + " of shape " + Shapes.str(t.shape));
        }
        int[] ns = t.shape.clone();
        ns[k] = length;
        return view(t, ns, t.strides, t.offset + start * t.strides[k]);
    }

    /** The body of {@link Tensor#select}. */
    static Tensor select(Tensor t, int dim, int index) {
        int k = Shapes.dim(dim, t.shape.length, "select");
        int i = index < 0 ? index + t.shape[k] : index;
        if (i < 0 || i >= t.shape[k]) {
            throw new IllegalArgumentException("select: index " + index + " out of range for dim " + k
                    + " of shape " + Shapes.str(t.shape));
        }
        return t.narrow(k, i, 1).squeeze(k);
    }

    /** The body of {@link Tensor#expand}. */
    static Tensor expand(Tensor t, int... sizes) {
        int[] shape = t.shape;
        if (sizes.length < shape.length) {
            throw new IllegalArgumentException("expand: cannot expand shape " + Shapes.str(shape) + " to "
                    + Shapes.str(sizes) + " (fewer dims)");
        }
        int lead = sizes.length - shape.length;
        int[] ns = new int[sizes.length];
        int[] st = new int[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            int own = i < lead ? 1 : shape[i - lead];
            int want = sizes[i] == -1 && i >= lead ? own : sizes[i];
            if (want < 0 || (own != want && own != 1)) {
                throw new IllegalArgumentException("expand: cannot expand shape " + Shapes.str(shape) + " to "
                        + Shapes.str(sizes));
            }
            ns[i] = want;
            st[i] = i < lead || (own == 1 && want != 1) ? 0 : t.strides[i - lead];
        }
        return view(t, ns, st, t.offset);
    }

    /** The body of {@link Tensor#squeeze()}. */
    static Tensor squeeze(Tensor t) {
        int r = 0;
        for (int s : t.shape) {
            if (s != 1) {
                r++;
            }
        }
        int[] ns = new int[r];
        int[] st = new int[r];
        for (int i = 0, j = 0; i < t.shape.length; i++) {
            if (t.shape[i] != 1) {
                ns[j] = t.shape[i];
                st[j++] = t.strides[i];
            }
        }
        return view(t, ns, st, t.offset);
    }

    /** The body of {@link Tensor#squeeze(int)}. */
    static Tensor squeeze(Tensor t, int dim) {
        int k = Shapes.dim(dim, t.shape.length, "squeeze");
        if (t.shape[k] != 1) {
            return t;
        }
        int[] ns = new int[t.shape.length - 1];
        int[] st = new int[t.shape.length - 1];
        for (int i = 0, j = 0; i < t.shape.length; i++) {
            if (i != k) {
                ns[j] = t.shape[i];
                st[j++] = t.strides[i];
            }
        }
        return view(t, ns, st, t.offset);
    }

    /** The body of {@link Tensor#unsqueeze}. */
    static Tensor unsqueeze(Tensor t, int dim) {
        int k = Shapes.dim(dim, t.shape.length + 1, "unsqueeze");
        int[] ns = new int[t.shape.length + 1];
        int[] st = new int[t.shape.length + 1];
        for (int i = 0, j = 0; i < ns.length; i++) {
            if (i == k) {
                ns[i] = 1;
                st[i] = k < t.shape.length ? t.strides[k] * t.shape[k] : 1;
            } else {
                ns[i] = t.shape[j];
                st[i] = t.strides[j++];
            }
        }
        return view(t, ns, st, t.offset);
    }

    /** The body of {@link Tensor#isContiguous}. */
    static boolean isContiguous(Tensor t) {
        if (t.numel() == 0) {
            return true;
        }
        int s = 1;
        for (int i = t.shape.length - 1; i >= 0; i--) {
            if (t.shape[i] != 1 && t.strides[i] != s) {
                return false;
            }
            s *= t.shape[i];
        }
        return true;
    }
}
