package dev.jacobi.core;

import dev.jacobi.core.blas.Gemm;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.BinaryOp;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Strided;
import dev.jacobi.core.kernel.UnaryOp;
import dev.jacobi.core.kernel.Workers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable n-dimensional array of {@link DType#FLOAT32} or {@link DType#FLOAT64} values: a shape, strides and
 * an offset over a flat array. Views ({@link #reshape}, {@link #transpose}, {@link #permute}, {@link #narrow},
 * {@link #expand}, {@link #squeeze}, {@link #unsqueeze}) share the array; every op returns a new tensor and never
 * modifies its inputs (the one exception, {@link #addmmInPlace}, serves the autodiff engine's own sums). Op names
 * follow PyTorch.
 *
 * <p>Binary element-wise ops broadcast like NumPy. Mixing dtypes is an error: convert with {@link #to(DType)}.
 * Results of unary and binary element-wise ops are row-major, except that when every operand that is not broadcast
 * is stored densely in one other dim order (the transpose of a contiguous matrix, say) the result keeps that
 * layout, as in PyTorch; {@link #contiguous()} always gives row-major order.
 * Index-valued results (argmax, max indices) are {@code int[]} in row-major order of the result shape.
 */
public final class Tensor {
    final DType dtype;
    final float[] f;
    final double[] d;
    final int[] shape;
    final int[] strides;
    final int offset;
    private final int numel;

    Tensor(DType dtype, float[] f, double[] d, int[] shape, int[] strides, int offset) {
        this.dtype = dtype;
        this.f = f;
        this.d = d;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.numel = Shapes.numel(shape, "Tensor");
    }

    // ---------------------------------------------------------------- construction

    /** Wraps {@code data} (not copied) as a contiguous float32 tensor. */
    static Tensor wrap(float[] data, int... shape) {
        return new Tensor(DType.FLOAT32, data, null, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** Wraps {@code data} (not copied) as a contiguous float64 tensor. */
    static Tensor wrap(double[] data, int... shape) {
        return new Tensor(DType.FLOAT64, null, data, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** A fresh zero-filled contiguous tensor. */
    static Tensor empty(DType dtype, int[] shape) {
        int n = Shapes.numel(shape, "zeros");
        return dtype == DType.FLOAT32 ? wrap(new float[n], shape) : wrap(new double[n], shape);
    }

    private static int checkFill(int length, int[] shape) {
        int n = Shapes.numel(shape, "Tensor.of");
        if (length != n) {
            throw new IllegalArgumentException("Tensor.of: " + length + " values do not fill shape "
                    + Shapes.str(shape) + " (" + n + " elements)");
        }
        return n;
    }

    /** A float32 tensor holding a copy of {@code data} in row-major order. With no shape, a 1-D tensor. */
    public static Tensor of(float[] data, int... shape) {
        int[] s = shape.length == 0 && data.length != 1 ? new int[] {data.length} : shape;
        checkFill(data.length, s);
        return wrap(data.clone(), s);
    }

    /** A float64 tensor holding a copy of {@code data} in row-major order. With no shape, a 1-D tensor. */
    public static Tensor of(double[] data, int... shape) {
        int[] s = shape.length == 0 && data.length != 1 ? new int[] {data.length} : shape;
        checkFill(data.length, s);
        return wrap(data.clone(), s);
    }

    /** A 0-dimensional float32 tensor. */
    public static Tensor scalar(double value) {
        return scalar(DType.FLOAT32, value);
    }

    /** A 0-dimensional tensor of the given dtype. */
    public static Tensor scalar(DType dtype, double value) {
        return full(dtype, value);
    }

    /** Float32 zeros. */
    public static Tensor zeros(int... shape) {
        return empty(DType.FLOAT32, shape);
    }

    /** Zeros of the given dtype. */
    public static Tensor zeros(DType dtype, int... shape) {
        return empty(dtype, shape);
    }

    /** Float32 ones. */
    public static Tensor ones(int... shape) {
        return full(DType.FLOAT32, 1, shape);
    }

    /** Ones of the given dtype. */
    public static Tensor ones(DType dtype, int... shape) {
        return full(dtype, 1, shape);
    }

    /** A float32 tensor filled with {@code value}. */
    public static Tensor full(double value, int... shape) {
        return full(DType.FLOAT32, value, shape);
    }

    /** A tensor of the given dtype filled with {@code value}. */
    public static Tensor full(DType dtype, double value, int... shape) {
        Tensor t = empty(dtype, shape);
        if (value != 0) {
            if (dtype == DType.FLOAT32) {
                Arrays.fill(t.f, (float) value);
            } else {
                Arrays.fill(t.d, value);
            }
        }
        return t;
    }

    /** Zeros with the dtype and shape of {@code t}. */
    public static Tensor zerosLike(Tensor t) {
        return empty(t.dtype, t.shape);
    }

    /** Ones with the dtype and shape of {@code t}. */
    public static Tensor onesLike(Tensor t) {
        return full(t.dtype, 1, t.shape);
    }

    /** Float32 {@code [0, 1, …, n-1]}. */
    public static Tensor arange(int n) {
        return arange(DType.FLOAT32, 0, n, 1);
    }

    /** {@code start, start+step, …} up to but excluding {@code end}. */
    public static Tensor arange(DType dtype, double start, double end, double step) {
        if (step == 0 || !Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: bad range start=" + start + " end=" + end + " step=" + step);
        }
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + i * step;
        }
        Tensor t = wrap(v, n);
        return dtype == DType.FLOAT64 ? t : t.to(DType.FLOAT32);
    }

    /** The {@code n×n} identity. */
    public static Tensor eye(DType dtype, int n) {
        Tensor t = empty(dtype, new int[] {n, n});
        for (int i = 0; i < n; i++) {
            t.setFlat(i * n + i, 1);
        }
        return t;
    }

    /** Uniform samples in [0, 1), float32, drawn in row-major order from {@code rng}. */
    public static Tensor rand(Rng rng, int... shape) {
        return rand(rng, DType.FLOAT32, shape);
    }

    /** Uniform samples in [0, 1), drawn in row-major order from {@code rng}. */
    public static Tensor rand(Rng rng, DType dtype, int... shape) {
        Tensor t = empty(dtype, shape);
        for (int i = 0; i < t.numel; i++) {
            t.setFlat(i, rng.nextDouble());
        }
        return t;
    }

    /** Standard normal samples, float32, drawn in row-major order from {@code rng}. */
    public static Tensor randn(Rng rng, int... shape) {
        return randn(rng, DType.FLOAT32, shape);
    }

    /** Standard normal samples, drawn in row-major order from {@code rng}. */
    public static Tensor randn(Rng rng, DType dtype, int... shape) {
        Tensor t = empty(dtype, shape);
        for (int i = 0; i < t.numel; i++) {
            t.setFlat(i, rng.nextGaussian());
        }
        return t;
    }

    /** One-hot rows: a float32 {@code [labels.length, numClasses]} tensor. */
    public static Tensor oneHot(int[] labels, int numClasses) {
        return oneHot(labels, numClasses, DType.FLOAT32);
    }

    /** One-hot rows of the given dtype: {@code out[i, labels[i]] = 1}. */
    public static Tensor oneHot(int[] labels, int numClasses, DType dtype) {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("oneHot: numClasses must be positive, got " + numClasses);
        }
        Tensor t = empty(dtype, new int[] {labels.length, numClasses});
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("oneHot: label " + labels[i] + " at position " + i
                        + " is outside [0, " + numClasses + ")");
            }
            t.setFlat(i * numClasses + labels[i], 1);
        }
        return t;
    }

    /** Writes flat element {@code i} of a fresh contiguous tensor (construction only). */
    void setFlat(int i, double v) {
        if (f != null) {
            f[offset + i] = (float) v;
        } else {
            d[offset + i] = v;
        }
    }

    // ---------------------------------------------------------------- accessors

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dim {@code dim} (negative counts from the end). */
    public int size(int dim) {
        return shape[Shapes.dim(dim, shape.length, "size")];
    }

    /** The number of dims. */
    public int dim() {
        return shape.length;
    }

    /** The number of elements. */
    public int numel() {
        return numel;
    }

    /** A copy of the strides, in elements. */
    public int[] stride() {
        return strides.clone();
    }

    /** Whether the elements are laid out in row-major order without gaps (the offset may be non-zero). */
    public boolean isContiguous() {
        if (numel == 0) {
            return true;
        }
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != s) {
                return false;
            }
            s *= shape[i];
        }
        return true;
    }

    private int flatIndex(int[] idx, String op) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException(op + ": got " + idx.length + " indices for a tensor of shape "
                    + Shapes.str(shape));
        }
        int p = offset;
        for (int i = 0; i < idx.length; i++) {
            int k = idx[i] < 0 ? idx[i] + shape[i] : idx[i];
            if (k < 0 || k >= shape[i]) {
                throw new IllegalArgumentException(op + ": index " + idx[i] + " out of range for dim " + i
                        + " of shape " + Shapes.str(shape));
            }
            p += k * strides[i];
        }
        return p;
    }

    /** The element at {@code idx} (negative indices count from the end), as a double. */
    public double get(int... idx) {
        int p = flatIndex(idx, "get");
        return f != null ? f[p] : d[p];
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (numel != 1) {
            throw new IllegalArgumentException("item: tensor of shape " + Shapes.str(shape)
                    + " has " + numel + " elements, not 1");
        }
        return f != null ? f[offset] : d[offset];
    }

    /** The elements in row-major order, as floats. */
    public float[] toFloatArray() {
        Tensor c = to(DType.FLOAT32).contiguous();
        return c.f == f && c.offset == 0 && c.f.length == numel ? c.f.clone()
                : Arrays.copyOfRange(c.f, c.offset, c.offset + numel);
    }

    /** The elements in row-major order, as doubles. */
    public double[] toDoubleArray() {
        Tensor c = to(DType.FLOAT64).contiguous();
        return c.d == d && c.offset == 0 && c.d.length == numel ? c.d.clone()
                : Arrays.copyOfRange(c.d, c.offset, c.offset + numel);
    }

    /** This tensor converted to {@code target} ({@code this} if it already is). */
    public Tensor to(DType target) {
        if (target == dtype) {
            return this;
        }
        Tensor src = contiguous();
        int n = numel;
        if (target == DType.FLOAT64) {
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                out[i] = src.f[src.offset + i];
            }
            return wrap(out, shape);
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) src.d[src.offset + i];
        }
        return wrap(out, shape);
    }

    /** {@code this} if contiguous, otherwise a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : unary(UnaryOp.COPY, 0, 0);
    }

    // ---------------------------------------------------------------- views

    private Tensor view(int[] newShape, int[] newStrides, int newOffset) {
        return new Tensor(dtype, f, d, newShape, newStrides, newOffset);
    }

    /** The same elements with a new shape (one size may be -1); a view unless the strides force a copy. */
    public Tensor reshape(int... newShape) {
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
                throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " ("
                        + numel + " elements) to " + Shapes.str(newShape));
            }
            s[infer] = (int) (numel / known);
            known *= s[infer];
        }
        if (known != numel) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " (" + numel
                    + " elements) to " + Shapes.str(newShape));
        }
        if (isContiguous()) {
            return view(s, Shapes.contiguousStrides(s), offset);
        }
        int[] st = viewStrides(s);
        return st != null ? view(s, st, offset) : contiguous().reshape(s);
    }

    /** Strides that let {@code newShape} view this tensor without a copy, or null (PyTorch's rule). */
    private int[] viewStrides(int[] newShape) {
        if (numel == 0) {
            return Shapes.contiguousStrides(newShape);
        }
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

    /** Dims {@code start..end} (inclusive) merged into one. */
    public Tensor flatten(int start, int end) {
        if (shape.length == 0) {
            return reshape(1);
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
        return reshape(ns);
    }

    /** All elements as one dim. */
    public Tensor flatten() {
        return reshape(numel);
    }

    /** Dims {@code dim0} and {@code dim1} swapped (a view). */
    public Tensor transpose(int dim0, int dim1) {
        int a = Shapes.dim(dim0, shape.length, "transpose");
        int b = Shapes.dim(dim1, shape.length, "transpose");
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** The transpose of a matrix (a vector or scalar is returned as is). */
    public Tensor t() {
        if (shape.length > 2) {
            throw new IllegalArgumentException("t: expects a tensor of rank <= 2, got shape " + Shapes.str(shape));
        }
        return shape.length < 2 ? this : transpose(0, 1);
    }

    /** Dims reordered so that dim {@code i} of the result is dim {@code dims[i]} of this (a view). */
    public Tensor permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute: got " + dims.length + " dims " + Arrays.toString(dims)
                    + " for shape " + Shapes.str(shape));
        }
        int[] ns = new int[dims.length];
        int[] st = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int k = Shapes.dim(dims[i], shape.length, "permute");
            if (seen[k]) {
                throw new IllegalArgumentException("permute: dim " + k + " repeated in " + Arrays.toString(dims));
            }
            seen[k] = true;
            ns[i] = shape[k];
            st[i] = strides[k];
        }
        return view(ns, st, offset);
    }

    /** Elements {@code start .. start+length-1} of dim {@code dim} (a view). */
    public Tensor narrow(int dim, int start, int length) {
        int k = Shapes.dim(dim, shape.length, "narrow");
        if (start < 0 || length < 0 || (long) start + length > shape[k]) {
            throw new IllegalArgumentException("narrow: start " + start + " length " + length
                    + " out of range for dim " + k + " of shape " + Shapes.str(shape));
        }
        int[] ns = shape.clone();
        ns[k] = length;
        return view(ns, strides, offset + start * strides[k]);
    }

    /** Index {@code index} of dim {@code dim}, with that dim removed (a view). */
    public Tensor select(int dim, int index) {
        int k = Shapes.dim(dim, shape.length, "select");
        int i = index < 0 ? index + shape[k] : index;
        if (i < 0 || i >= shape[k]) {
            throw new IllegalArgumentException("select: index " + index + " out of range for dim " + k
                    + " of shape " + Shapes.str(shape));
        }
        return narrow(k, i, 1).squeeze(k);
    }

    /** Broadcast to {@code sizes} (-1 keeps a size) without copying: expanded dims get stride 0. */
    public Tensor expand(int... sizes) {
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
            st[i] = i < lead || (own == 1 && want != 1) ? 0 : strides[i - lead];
        }
        return view(ns, st, offset);
    }

    /** All dims of size one removed. */
    public Tensor squeeze() {
        int r = 0;
        for (int s : shape) {
            if (s != 1) {
                r++;
            }
        }
        int[] ns = new int[r];
        int[] st = new int[r];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (shape[i] != 1) {
                ns[j] = shape[i];
                st[j++] = strides[i];
            }
        }
        return view(ns, st, offset);
    }

    /** Dim {@code dim} removed if its size is one (PyTorch semantics: otherwise unchanged). */
    public Tensor squeeze(int dim) {
        int k = Shapes.dim(dim, shape.length, "squeeze");
        if (shape[k] != 1) {
            return this;
        }
        int[] ns = new int[shape.length - 1];
        int[] st = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != k) {
                ns[j] = shape[i];
                st[j++] = strides[i];
            }
        }
        return view(ns, st, offset);
    }

    /** A dim of size one inserted at {@code dim} (in {@code [-rank-1, rank]}). */
    public Tensor unsqueeze(int dim) {
        int k = Shapes.dim(dim, shape.length + 1, "unsqueeze");
        int[] ns = new int[shape.length + 1];
        int[] st = new int[shape.length + 1];
        for (int i = 0, j = 0; i < ns.length; i++) {
            if (i == k) {
                ns[i] = 1;
                st[i] = k < shape.length ? strides[k] * shape[k] : 1;
            } else {
                ns[i] = shape[j];
                st[i] = strides[j++];
            }
        }
        return view(ns, st, offset);
    }

    // ---------------------------------------------------------------- element-wise

    Tensor unary(UnaryOp op, double p, double q) {
        int[] perm = op == UnaryOp.COPY ? null : densePerm(this);
        if (perm != null) {
            return permute(perm).unary(op, p, q).permute(inversePerm(perm));
        }
        Tensor out = empty(dtype, shape);
        Strided plan = Strided.plan(shape, strides, out.strides);
        int as = plan.innerStride(0);
        if (dtype == DType.FLOAT32) {
            Kernels k = Backend.KERNELS;
            float fp = (float) p;
            float fq = (float) q;
            forRuns(plan, new int[] {offset, 0},
                    (o, n) -> k.unary(op, f, o[0], as, out.f, o[1], n, fp, fq));
        } else {
            forRuns(plan, new int[] {offset, 0}, (o, n) -> {
                for (int i = 0; i < n; i++) {
                    out.d[o[1] + i] = op.apply(d[o[0] + i * as], p, q);
                }
            });
        }
        return out;
    }

    /**
     * The dim order in which every operand that is not broadcast is stored densely, when that order is not the
     * row-major one (a transposed matrix, say). Element-wise ops then run over memory in order, and their result
     * keeps the operands' layout, as PyTorch's do. Null when an operand is row-major, when they disagree, or when
     * all are broadcast. {@code ts} all have one shape.
     */
    private static int[] densePerm(Tensor... ts) {
        int[] perm = null;
        for (Tensor t : ts) {
            if (t.numel <= 1) {
                return null;
            }
            boolean broadcast = false;
            for (int d = 0; d < t.shape.length; d++) {
                broadcast |= t.shape[d] > 1 && t.strides[d] == 0;
            }
            if (broadcast) {
                continue;
            }
            if (t.isContiguous()) {
                return null;
            }
            if (perm == null) {
                Integer[] order = new Integer[t.shape.length];
                for (int d = 0; d < order.length; d++) {
                    order[d] = d;
                }
                Arrays.sort(order, (x, y) -> Integer.compare(t.strides[y], t.strides[x]));
                perm = new int[order.length];
                for (int d = 0; d < order.length; d++) {
                    perm[d] = order[d];
                }
            }
            if (!t.permute(perm).isContiguous()) {
                return null;
            }
        }
        return perm;
    }

    private static int[] inversePerm(int[] perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inv[perm[i]] = i;
        }
        return inv;
    }

    /** Runs over the plan, splitting a big single run or many runs over the thread pool. */
    private static void forRuns(Strided plan, int[] offsets, Strided.Body body) {
        int runs = plan.runs();
        int n = plan.inner();
        long total = (long) runs * n;
        if (total < (1 << 17) || Workers.threads() == 1) {
            plan.forEach(offsets, body);
        } else if (runs == 1) {
            int[] st = new int[offsets.length];
            for (int j = 0; j < st.length; j++) {
                st[j] = plan.innerStride(j);
            }
            Workers.forRange(n, 1 << 15, (a, b) -> {
                int[] o = new int[offsets.length];
                for (int j = 0; j < o.length; j++) {
                    o[j] = offsets[j] + a * st[j];
                }
                body.run(o, b - a);
            });
        } else {
            Workers.forRange(runs, Math.max(1, (1 << 15) / Math.max(1, n)),
                    (a, b) -> plan.forRuns(offsets, a, b, body));
        }
    }

    private Tensor binary(BinaryOp op, Tensor other) {
        String name = op.opName();
        if (other.dtype != dtype) {
            throw new IllegalArgumentException(name + ": dtypes differ: " + dtype + " and " + other.dtype);
        }
        int[] os = Shapes.broadcast(shape, other.shape, name);
        Tensor a = expand(os);
        Tensor b = other.expand(os);
        int[] perm = densePerm(a, b);
        if (perm != null) {
            return a.permute(perm).binary(op, b.permute(perm)).permute(inversePerm(perm));
        }
        Tensor out = empty(dtype, os);
        Strided plan = Strided.plan(os, a.strides, b.strides, out.strides);
        int as = plan.innerStride(0);
        int bs = plan.innerStride(1);
        if (dtype == DType.FLOAT32) {
            Kernels k = Backend.KERNELS;
            forRuns(plan, new int[] {a.offset, b.offset, 0},
                    (o, n) -> k.binary(op, a.f, o[0], as, b.f, o[1], bs, out.f, o[2], n));
        } else {
            forRuns(plan, new int[] {a.offset, b.offset, 0}, (o, n) -> {
                for (int i = 0; i < n; i++) {
                    out.d[o[2] + i] = op.apply(a.d[o[0] + i * as], b.d[o[1] + i * bs]);
                }
            });
        }
        return out;
    }

    private Tensor scalarLike(double v) {
        return full(dtype, v);
    }

    /** {@code -x}. */
    public Tensor neg() {
        return unary(UnaryOp.NEG, 0, 0);
    }

    /** {@code |x|}. */
    public Tensor abs() {
        return unary(UnaryOp.ABS, 0, 0);
    }

    /** {@code e^x}. */
    public Tensor exp() {
        return unary(UnaryOp.EXP, 0, 0);
    }

    /** Natural logarithm. */
    public Tensor log() {
        return unary(UnaryOp.LOG, 0, 0);
    }

    /** Square root. */
    public Tensor sqrt() {
        return unary(UnaryOp.SQRT, 0, 0);
    }

    /** Hyperbolic tangent. */
    public Tensor tanh() {
        return unary(UnaryOp.TANH, 0, 0);
    }

    /** {@code 1 / (1 + e^-x)}, computed without overflow. */
    public Tensor sigmoid() {
        return unary(UnaryOp.SIGMOID, 0, 0);
    }

    /** {@code max(x, 0)} (NaN stays NaN). */
    public Tensor relu() {
        return unary(UnaryOp.RELU, 0, 0);
    }

    /** -1, 0 or 1 by the sign of x (NaN stays NaN). */
    public Tensor sign() {
        return unary(UnaryOp.SIGN, 0, 0);
    }

    /** Sine. */
    public Tensor sin() {
        return unary(UnaryOp.SIN, 0, 0);
    }

    /** Cosine. */
    public Tensor cos() {
        return unary(UnaryOp.COS, 0, 0);
    }

    /** {@code x²}. */
    public Tensor square() {
        return unary(UnaryOp.SQUARE, 0, 0);
    }

    /** {@code x^p} for a scalar exponent. */
    public Tensor pow(double p) {
        return unary(UnaryOp.POW, p, 0);
    }

    /** {@code x} limited to {@code [min, max]}. */
    public Tensor clamp(double min, double max) {
        if (!(min <= max)) {
            throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        }
        return unary(UnaryOp.CLAMP, min, max);
    }

    /** {@code this + other}, broadcasting. */
    public Tensor add(Tensor other) {
        return binary(BinaryOp.ADD, other);
    }

    /**
     * {@code this + alpha·other}, broadcasting (PyTorch's {@code torch.add(input, other, alpha=alpha)}), as in an
     * optimizer step {@code θ.add(g, -lr)}. Float32 operands of one shape and contiguous layout take one pass and
     * one output (with a fused multiply-add where the vector kernels run); anything else is
     * {@code add(other.mul(alpha))}.
     */
    public Tensor add(Tensor other, double alpha) {
        if (dtype == DType.FLOAT32 && other.dtype == DType.FLOAT32 && Arrays.equals(shape, other.shape)
                && isContiguous() && other.isContiguous()) {
            int n = numel();
            float[] out = Arrays.copyOfRange(f, offset, offset + n);
            float a = (float) alpha;
            // blocks of 1024 keep every element on the same (vector or tail) path for any thread count
            Workers.forRange((n + 1023) / 1024, 64, (b0, b1) -> {
                int i0 = b0 * 1024;
                Backend.KERNELS.axpy(a, other.f, other.offset + i0, out, i0, Math.min(n, b1 * 1024) - i0);
            });
            return wrap(out, shape);
        }
        return add(other.mul(alpha));
    }

    /** {@code this - other}, broadcasting. */
    public Tensor sub(Tensor other) {
        return binary(BinaryOp.SUB, other);
    }

    /** {@code this * other} element-wise, broadcasting. */
    public Tensor mul(Tensor other) {
        return binary(BinaryOp.MUL, other);
    }

    /** {@code this / other} element-wise, broadcasting. */
    public Tensor div(Tensor other) {
        return binary(BinaryOp.DIV, other);
    }

    /** {@code this ^ other} element-wise, broadcasting. */
    public Tensor pow(Tensor other) {
        return binary(BinaryOp.POW, other);
    }

    /** Element-wise maximum (NaN propagates), broadcasting. */
    public Tensor maximum(Tensor other) {
        return binary(BinaryOp.MAX, other);
    }

    /** Element-wise minimum (NaN propagates), broadcasting. */
    public Tensor minimum(Tensor other) {
        return binary(BinaryOp.MIN, other);
    }

    /** {@code this + s}. */
    public Tensor add(double s) {
        return binary(BinaryOp.ADD, scalarLike(s));
    }

    /**
     * {@code this} where {@code input > 0}, else 0, broadcasting: ReLU's backward for an output gradient {@code this}
     * in one pass, without a mask tensor (PyTorch's {@code threshold_backward} at threshold 0). Where {@code input}
     * is 0, negative or NaN the result is 0, even if {@code this} is NaN there.
     */
    public Tensor thresholdBackward(Tensor input) {
        return binary(BinaryOp.THRESHOLD_BACKWARD, input);
    }

    /** {@code this - s}. */
    public Tensor sub(double s) {
        return binary(BinaryOp.SUB, scalarLike(s));
    }

    /** {@code this * s}. */
    public Tensor mul(double s) {
        return binary(BinaryOp.MUL, scalarLike(s));
    }

    /** {@code this / s}. */
    public Tensor div(double s) {
        return binary(BinaryOp.DIV, scalarLike(s));
    }

    /** Mask (1 or 0, same dtype) of {@code this == other}, broadcasting. */
    public Tensor eq(Tensor other) {
        return binary(BinaryOp.EQ, other);
    }

    /** Mask of {@code this != other}. */
    public Tensor ne(Tensor other) {
        return binary(BinaryOp.NE, other);
    }

    /** Mask of {@code this < other}. */
    public Tensor lt(Tensor other) {
        return binary(BinaryOp.LT, other);
    }

    /** Mask of {@code this <= other}. */
    public Tensor le(Tensor other) {
        return binary(BinaryOp.LE, other);
    }

    /** Mask of {@code this > other}. */
    public Tensor gt(Tensor other) {
        return binary(BinaryOp.GT, other);
    }

    /** Mask of {@code this >= other}. */
    public Tensor ge(Tensor other) {
        return binary(BinaryOp.GE, other);
    }

    /** Mask of {@code this > s}. */
    public Tensor gt(double s) {
        return binary(BinaryOp.GT, scalarLike(s));
    }

    /** Mask of {@code this < s}. */
    public Tensor lt(double s) {
        return binary(BinaryOp.LT, scalarLike(s));
    }

    /** {@code condition != 0 ? x : y} element-wise, broadcasting all three. */
    public static Tensor where(Tensor condition, Tensor x, Tensor y) {
        if (x.dtype != y.dtype || condition.dtype != x.dtype) {
            throw new IllegalArgumentException("where: dtypes differ: condition " + condition.dtype + ", x "
                    + x.dtype + ", y " + y.dtype);
        }
        int[] os = Shapes.broadcast(Shapes.broadcast(condition.shape, x.shape, "where"), y.shape, "where");
        Tensor c = condition.expand(os);
        Tensor a = x.expand(os);
        Tensor b = y.expand(os);
        Tensor out = empty(x.dtype, os);
        Strided plan = Strided.plan(os, c.strides, a.strides, b.strides, out.strides);
        int cs = plan.innerStride(0);
        int as = plan.innerStride(1);
        int bs = plan.innerStride(2);
        plan.forEach(new int[] {c.offset, a.offset, b.offset, 0}, (o, n) -> {
            for (int i = 0; i < n; i++) {
                boolean pick = c.rawAt(o[0] + i * cs) != 0;
                out.setRaw(o[3] + i, pick ? a.rawAt(o[1] + i * as) : b.rawAt(o[2] + i * bs));
            }
        });
        return out;
    }

    double rawAt(int p) {
        return f != null ? f[p] : d[p];
    }

    void setRaw(int p, double v) {
        if (f != null) {
            f[p] = (float) v;
        } else {
            d[p] = v;
        }
    }

    // ---------------------------------------------------------------- reductions

    private enum Reduce { SUM, MAX, MIN }

    private int[] normDims(int[] dims, String op) {
        boolean[] mark = new boolean[shape.length];
        for (int dd : dims) {
            int k = Shapes.dim(dd, shape.length, op);
            if (mark[k]) {
                throw new IllegalArgumentException(op + ": dim " + dd + " repeated in " + Arrays.toString(dims));
            }
            mark[k] = true;
        }
        int[] sorted = new int[dims.length];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (mark[i]) {
                sorted[j++] = i;
            }
        }
        return sorted;
    }

    private static int[] allDims(int rank) {
        int[] a = new int[rank];
        for (int i = 0; i < rank; i++) {
            a[i] = i;
        }
        return a;
    }

    /** {@code mark[k]} for each of the normalised dims {@code red}. */
    private boolean[] marked(int[] red) {
        boolean[] mark = new boolean[shape.length];
        for (int k : red) {
            mark[k] = true;
        }
        return mark;
    }

    /** Layout for reducing {@code dims}: a contiguous [outer, inner] tensor and the result shape. */
    private Tensor reductionLayout(int[] red) {
        boolean[] mark = marked(red);
        int[] perm = new int[shape.length];
        int j = 0;
        for (int i = 0; i < shape.length; i++) {
            if (!mark[i]) {
                perm[j++] = i;
            }
        }
        for (int k : red) {
            perm[j++] = k;
        }
        return permute(perm).contiguous();
    }

    private int[] reducedShape(int[] red, boolean keepdim) {
        boolean[] mark = marked(red);
        int[] out = new int[keepdim ? shape.length : shape.length - red.length];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (!mark[i]) {
                out[j++] = shape[i];
            } else if (keepdim) {
                out[j++] = 1;
            }
        }
        return out;
    }

    private Tensor reduce(Reduce kind, int[] dims, boolean keepdim, String op) {
        int[] red = normDims(dims, op);
        int[] outShape = reducedShape(red, keepdim);
        if (kind == Reduce.SUM && dtype == DType.FLOAT32 && isContiguous()) {
            Tensor kept = sumAroundKept(red, outShape);
            if (kept != null) {
                return kept;
            }
        }
        Tensor x = reductionLayout(red);
        int outer = Shapes.numel(outShape, op);
        int inner = outer == 0 ? 0 : numel / outer;
        if (inner == 0 && kind != Reduce.SUM) {
            throw new IllegalArgumentException(op + ": cannot reduce over an empty dim of shape " + Shapes.str(shape));
        }
        Tensor out = empty(dtype, outShape);
        Kernels k = Backend.KERNELS;
        Workers.forRange(outer, Math.max(1, (1 << 15) / Math.max(1, inner)), (a, b) -> {
            for (int o = a; o < b; o++) {
                int base = x.offset + o * inner;
                if (dtype == DType.FLOAT32) {
                    out.f[o] = switch (kind) {
                        case SUM -> k.sum(x.f, base, inner);
                        case MAX -> k.max(x.f, base, inner);
                        case MIN -> k.min(x.f, base, inner);
                    };
                } else {
                    double acc = kind == Reduce.SUM ? 0 : x.d[base];
                    for (int i = 0; i < inner; i++) {
                        double v = x.d[base + i];
                        acc = switch (kind) {
                            case SUM -> acc + v;
                            case MAX -> v > acc || v != v ? (acc != acc ? acc : v) : acc;
                            case MIN -> v < acc || v != v ? (acc != acc ? acc : v) : acc;
                        };
                    }
                    out.d[o] = acc;
                }
            }
        });
        return out;
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
    private Tensor sumAroundKept(int[] red, int[] outShape) {
        boolean[] mark = marked(red);
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
        if (k0 == 0 || k1 == k0 || a <= 1 || numel == 0) {
            return null;
        }
        int b = numel / a / c;
        Tensor out = empty(DType.FLOAT32, outShape);
        float[] x = f;
        int x0 = offset;
        Kernels k = Backend.KERNELS;
        if (b == 1) {
            // column sums: rows are added as vectors, a block of SUM_BLOCK rows at a time, over 1024 columns per task
            int units = (c + 1023) / 1024;
            Workers.forRange(units, Math.max(1, (1 << 15) / a / 1024), (u0, u1) -> {
                float[] blk = new float[1024];
                for (int u = u0; u < u1; u++) {
                    int j0 = u * 1024;
                    int n = Math.min(1024, c - j0);
                    for (int r0 = 0; r0 < a; r0 += SUM_BLOCK) {
                        System.arraycopy(x, x0 + r0 * c + j0, blk, 0, n);
                        for (int r = r0 + 1, r1 = Math.min(a, r0 + SUM_BLOCK); r < r1; r++) {
                            k.binary(BinaryOp.ADD, blk, 0, 1, x, x0 + r * c + j0, 1, blk, 0, n);
                        }
                        if (r0 == 0) {
                            System.arraycopy(blk, 0, out.f, j0, n);
                        } else {
                            k.binary(BinaryOp.ADD, out.f, j0, 1, blk, 0, 1, out.f, j0, n);
                        }
                    }
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
                out.f[j] = total;
            }
        });
        return out;
    }

    /** Sum of all elements (a 0-dim tensor). */
    public Tensor sum() {
        return reduce(Reduce.SUM, allDims(shape.length), false, "sum");
    }

    /** Sum over {@code dim}. */
    public Tensor sum(int dim, boolean keepdim) {
        return reduce(Reduce.SUM, new int[] {dim}, keepdim, "sum");
    }

    /** Sum over {@code dims}. */
    public Tensor sum(int[] dims, boolean keepdim) {
        return reduce(Reduce.SUM, dims, keepdim, "sum");
    }

    private int count(int[] dims, String op) {
        int c = 1;
        for (int k : normDims(dims, op)) {
            c *= shape[k];
        }
        return c;
    }

    /** Mean of all elements. */
    public Tensor mean() {
        return sum().div(numel);
    }

    /** Mean over {@code dim}. */
    public Tensor mean(int dim, boolean keepdim) {
        return mean(new int[] {dim}, keepdim);
    }

    /** Mean over {@code dims}. */
    public Tensor mean(int[] dims, boolean keepdim) {
        return sum(dims, keepdim).div(count(dims, "mean"));
    }

    /** Largest element (a 0-dim tensor; NaN if any is NaN). */
    public Tensor max() {
        return reduce(Reduce.MAX, allDims(shape.length), false, "max");
    }

    /** Smallest element (a 0-dim tensor; NaN if any is NaN). */
    public Tensor min() {
        return reduce(Reduce.MIN, allDims(shape.length), false, "min");
    }

    /** Maximum over {@code dims} (values only). */
    public Tensor amax(int[] dims, boolean keepdim) {
        return reduce(Reduce.MAX, dims, keepdim, "amax");
    }

    /** Minimum over {@code dims} (values only). */
    public Tensor amin(int[] dims, boolean keepdim) {
        return reduce(Reduce.MIN, dims, keepdim, "amin");
    }

    /** Values and the positions (along the reduced dim) they came from. */
    public record ValuesIndices(Tensor values, int[] indices) {
    }

    /** Maximum over {@code dim} with the index of the first maximum (NaN counts as largest). */
    public ValuesIndices max(int dim, boolean keepdim) {
        return extreme(dim, keepdim, true, "max");
    }

    /** Minimum over {@code dim} with the index of the first minimum (NaN counts as smallest). */
    public ValuesIndices min(int dim, boolean keepdim) {
        return extreme(dim, keepdim, false, "min");
    }

    /** Indices of the maxima along {@code dim}, in row-major order of the remaining dims. */
    public int[] argmax(int dim) {
        return max(dim, false).indices();
    }

    /** Flat row-major index of the largest element. */
    public int argmax() {
        return reshape(numel).argmax(0)[0];
    }

    private ValuesIndices extreme(int dim, boolean keepdim, boolean isMax, String op) {
        int k = Shapes.dim(dim, shape.length, op);
        int[] red = {k};
        int[] outShape = reducedShape(red, keepdim);
        Tensor x = reductionLayout(red);
        int inner = shape[k];
        if (inner == 0) {
            throw new IllegalArgumentException(op + ": cannot reduce over an empty dim of shape " + Shapes.str(shape));
        }
        int outer = numel / inner;
        Tensor out = empty(dtype, outShape);
        int[] idx = new int[outer];
        for (int o = 0; o < outer; o++) {
            int base = x.offset + o * inner;
            int best = 0;
            double bv = x.rawAt(base);
            for (int i = 1; i < inner && bv == bv; i++) {
                double v = x.rawAt(base + i);
                if (v != v || (isMax ? v > bv : v < bv)) {
                    bv = v;
                    best = i;
                }
            }
            idx[o] = best;
            out.setRaw(o, bv);
        }
        return new ValuesIndices(out, idx);
    }

    /** p-norm of all elements, p = 1, 2 or infinity. */
    public Tensor norm(double p) {
        return norm(p, allDims(shape.length), false);
    }

    /** p-norm over {@code dims}, p = 1, 2 or infinity. */
    public Tensor norm(double p, int[] dims, boolean keepdim) {
        if (p == 1) {
            return abs().sum(dims, keepdim);
        } else if (p == 2) {
            return square().sum(dims, keepdim).sqrt();
        } else if (p == Double.POSITIVE_INFINITY) {
            return abs().amax(dims, keepdim);
        }
        throw new IllegalArgumentException("norm: p must be 1, 2 or infinity, got " + p);
    }

    /** {@code log Σ exp(x)} over {@code dims}, stable: the maximum is subtracted first. */
    public Tensor logSumExp(int[] dims, boolean keepdim) {
        Tensor m = amax(dims, true);
        Tensor safeM = where(m.abs().lt(Double.POSITIVE_INFINITY), m, zerosLike(m));
        Tensor r = sub(safeM).exp().sum(dims, true).log().add(safeM);
        return keepdim ? r : r.reshape(reducedShape(normDims(dims, "logSumExp"), false));
    }

    /** {@code log Σ exp(x)} over {@code dim}. */
    public Tensor logSumExp(int dim, boolean keepdim) {
        return logSumExp(new int[] {dim}, keepdim);
    }

    // ---------------------------------------------------------------- matmul

    /**
     * Matrix product with PyTorch semantics: 1-D operands are promoted to a row or column, dims before the last
     * two are batch dims and broadcast. Transposed operands are read in place, without a copy.
     */
    public Tensor matmul(Tensor other) {
        if (other.dtype != dtype) {
            throw new IllegalArgumentException("matmul: dtypes differ: " + dtype + " and " + other.dtype);
        }
        if (shape.length == 0 || other.shape.length == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least one dim, got "
                    + Shapes.str(shape) + " x " + Shapes.str(other.shape));
        }
        Tensor a = shape.length == 1 ? unsqueeze(0) : this;
        Tensor b = other.shape.length == 1 ? other.unsqueeze(1) : other;
        int m = a.shape[a.shape.length - 2];
        int k = a.shape[a.shape.length - 1];
        int k2 = b.shape[b.shape.length - 2];
        int n = b.shape[b.shape.length - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shapes.str(shape) + " x "
                    + Shapes.str(other.shape));
        }
        int[] batch = Shapes.broadcast(Arrays.copyOf(a.shape, a.shape.length - 2),
                Arrays.copyOf(b.shape, b.shape.length - 2), "matmul");
        int[] ae = Arrays.copyOf(batch, batch.length + 2);
        ae[batch.length] = m;
        ae[batch.length + 1] = k;
        int[] be = Arrays.copyOf(batch, batch.length + 2);
        be[batch.length] = k;
        be[batch.length + 1] = n;
        a = a.expand(ae);
        b = b.expand(be);
        int r = batch.length;
        int[] la = gemmLayout(a, r);
        if (la == null) {
            a = a.contiguous();
            la = gemmLayout(a, r);
        }
        int[] lb = gemmLayout(b, r);
        if (lb == null) {
            b = b.contiguous();
            lb = gemmLayout(b, r);
        }
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[r] = m;
        outShape[r + 1] = n;
        Tensor out = empty(dtype, outShape);
        int nb = Shapes.numel(batch, "matmul");
        int[] idx = new int[r];
        for (int bi = 0; bi < nb; bi++) {
            int ao = a.offset;
            int bo = b.offset;
            for (int i = r - 1, rem = bi; i >= 0; i--) {
                idx[i] = rem % batch[i];
                rem /= batch[i];
                ao += idx[i] * a.strides[i];
                bo += idx[i] * b.strides[i];
            }
            if (dtype == DType.FLOAT32) {
                Gemm.sgemm(la[0] == 1, lb[0] == 1, m, n, k, 1f, a.f, ao, la[1], b.f, bo, lb[1], 0f, out.f, bi * m * n, n);
            } else {
                Gemm.dgemm(la[0] == 1, lb[0] == 1, m, n, k, 1.0, a.d, ao, la[1], b.d, bo, lb[1], 0.0, out.d, bi * m * n, n);
            }
        }
        if (shape.length == 1) {
            out = out.squeeze(out.dim() - 2);
        }
        if (other.shape.length == 1) {
            out = out.squeeze(out.dim() - 1);
        }
        return out;
    }

    /**
     * {@code this + mat1·mat2}: PyTorch's {@code addmm} (with {@code beta = alpha = 1}) for matrices
     * {@code mat1 [m, k]} and {@code mat2 [k, n]}, this broadcastable to {@code [m, n]}. The GEMM accumulates onto a
     * copy of this, so the sum costs no pass of its own over the product, and no second fresh array: the autodiff
     * engine uses it to add a matrix product's gradient onto the gradient summed so far. Transposed operands are read
     * in place.
     */
    public Tensor addmm(Tensor mat1, Tensor mat2) {
        return addmm(mat1, mat2, false);
    }

    /**
     * {@link #addmm} written into this tensor's own storage, which is returned, changed: the one exception to this
     * class's immutability, for a caller that allocated this tensor and has shown it to no one. The autodiff engine
     * uses it to add a product onto a gradient sum it owns, which saves copying the sum. Anyone else holding this
     * tensor or a view of its storage would see the change, so it must not be used on any other tensor. This must
     * be a contiguous {@code [m, n]} matrix or the transpose of one; otherwise the result is a new tensor, as from
     * {@code addmm}.
     */
    public Tensor addmmInPlace(Tensor mat1, Tensor mat2) {
        return addmm(mat1, mat2, true);
    }

    private Tensor addmm(Tensor mat1, Tensor mat2, boolean inPlace) {
        if (mat1.dtype != dtype || mat2.dtype != dtype) {
            throw new IllegalArgumentException("addmm: dtypes differ: " + dtype + ", " + mat1.dtype + " and "
                    + mat2.dtype);
        }
        if (mat1.shape.length != 2 || mat2.shape.length != 2 || mat1.shape[1] != mat2.shape[0]) {
            throw new IllegalArgumentException("addmm: need matrices [m, k] and [k, n], got "
                    + Shapes.str(mat1.shape) + " and " + Shapes.str(mat2.shape));
        }
        int m = mat1.shape[0];
        int k = mat1.shape[1];
        int n = mat2.shape[1];
        if (!Arrays.equals(Shapes.broadcast(shape, new int[] {m, n}, "addmm"), new int[] {m, n})) {
            throw new IllegalArgumentException("addmm: input of shape " + Shapes.str(shape)
                    + " does not broadcast to the product's shape " + Shapes.str(new int[] {m, n}));
        }
        Tensor a = gemmLayout(mat1, 0) == null ? mat1.contiguous() : mat1;
        Tensor b = gemmLayout(mat2, 0) == null ? mat2.contiguous() : mat2;
        int[] la = gemmLayout(a, 0);
        int[] lb = gemmLayout(b, 0);
        boolean matrix = shape.length == 2 && shape[0] == m;
        if (inPlace && matrix && m > 1 && n > 1 && strides[0] == 1 && strides[1] == m) {
            // the transpose of a contiguous matrix: its storage takes Cᵀ += op(B)ᵀ·op(A)ᵀ
            gemm(lb[0] == 0, la[0] == 0, n, m, k, b, lb[1], a, la[1], this, offset, m);
            return this;
        }
        Tensor out = this;
        if (!(inPlace && matrix && isContiguous())) {
            // a copy; from a contiguous input a plain array copy, which the JVM need not zero first
            out = !(matrix && isContiguous()) ? expand(m, n).unary(UnaryOp.COPY, 0, 0)
                    : dtype == DType.FLOAT32 ? wrap(Arrays.copyOfRange(f, offset, offset + m * n), m, n)
                    : wrap(Arrays.copyOfRange(d, offset, offset + m * n), m, n);
        }
        gemm(la[0] == 1, lb[0] == 1, m, n, k, a, la[1], b, lb[1], out, out.offset, n);
        return out;
    }

    /** {@code c[co..] += op(a)·op(b)} ({@code m×n}, row stride {@code ldc}) in the tensors' dtype. */
    private static void gemm(boolean ta, boolean tb, int m, int n, int k, Tensor a, int lda, Tensor b, int ldb,
                             Tensor c, int co, int ldc) {
        if (c.dtype == DType.FLOAT32) {
            Gemm.sgemm(ta, tb, m, n, k, 1f, a.f, a.offset, lda, b.f, b.offset, ldb, 1f, c.f, co, ldc);
        } else {
            Gemm.dgemm(ta, tb, m, n, k, 1.0, a.d, a.offset, lda, b.d, b.offset, ldb, 1.0, c.d, co, ldc);
        }
    }

    /** {@link #gemmLayout(int, int, int, int)} of the matrix in dims {@code r, r + 1} of {@code t}. */
    private static int[] gemmLayout(Tensor t, int r) {
        return gemmLayout(t.shape[r], t.shape[r + 1], t.strides[r], t.strides[r + 1]);
    }

    /**
     * How GEMM can read a {@code rows×cols} matrix with strides {@code rs}, {@code cs} in place:
     * {@code {0, ld}} row-major, {@code {1, ld}} column-major (stored transposed), or null if it needs a copy.
     */
    private static int[] gemmLayout(int rows, int cols, int rs, int cs) {
        if (cs == 1 || cols == 1) {
            int ld = rows == 1 ? cols : rs;
            if (ld >= cols) {
                return new int[] {0, ld};
            }
        }
        if (rs == 1 || rows == 1) {
            int ld = cols == 1 ? rows : cs;
            if (ld >= rows) {
                return new int[] {1, ld};
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- convolution, pooling (see Conv, Pool, Spatial)

    /** 2-D convolution of this {@code [N, Cin, H, W]} with {@code w [Cout, Cin/groups, kh, kw]}; see {@link Conv#conv2d}. */
    public Tensor conv2d(Tensor w, Tensor bias, Conv2dSpec spec) {
        return Conv.conv2d(this, w, bias, spec);
    }

    /** 2-D convolution with stride 1, no padding and no bias. */
    public Tensor conv2d(Tensor w) {
        return Conv.conv2d(this, w, null, Conv2dSpec.defaults());
    }

    /** Max pooling over {@code k×k} windows with stride {@code stride}, no padding; see {@link Pool#maxPool2d}. */
    public Tensor maxPool2d(int k, int stride) {
        return Pool.maxPool2d(this, k, k, stride, stride, 0, 0).values();
    }

    /** Average pooling over {@code k×k} windows with stride {@code stride}, no padding; see {@link Pool#avgPool2d}. */
    public Tensor avgPool2d(int k, int stride) {
        return Pool.avgPool2d(this, k, k, stride, stride, 0, 0);
    }

    /** Pads the last dims ({@code left, right[, top, bottom]}); see {@link Spatial#pad}. */
    public Tensor pad(int[] pads, PaddingMode mode) {
        return Spatial.pad(this, pads, mode);
    }

    /** {@code [N, C·r², H, W] → [N, C, H·r, W·r]}; see {@link Spatial#pixelShuffle}. */
    public Tensor pixelShuffle(int r) {
        return Spatial.pixelShuffle(this, r);
    }

    /** {@code [N, C, H·r, W·r] → [N, C·r², H, W]}; see {@link Spatial#pixelUnshuffle}. */
    public Tensor pixelUnshuffle(int r) {
        return Spatial.pixelUnshuffle(this, r);
    }

    // ---------------------------------------------------------------- joining, splitting, indexing

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

    /** Tensors joined along {@code dim}; all other sizes and the dtype must agree. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
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
        Tensor out = empty(first.dtype, os);
        int at = 0;
        for (Tensor t : tensors) {
            copyInto(out.narrow(k, at, t.shape[k]), t);
            at += t.shape[k];
        }
        return out;
    }

    /** Tensors of one shape stacked along a new dim {@code dim}. */
    public static Tensor stack(List<Tensor> tensors, int dim) {
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

    /** Views of consecutive pieces of {@code splitSize} along {@code dim} (the last may be smaller). */
    public List<Tensor> split(int splitSize, int dim) {
        int k = Shapes.dim(dim, shape.length, "split");
        if (splitSize <= 0) {
            throw new IllegalArgumentException("split: split size must be positive, got " + splitSize);
        }
        List<Tensor> parts = new ArrayList<>();
        for (int s = 0; s < shape[k]; s += splitSize) {
            parts.add(narrow(k, s, Math.min(splitSize, shape[k] - s)));
        }
        return parts;
    }

    private void checkIndex(int i, int size, int pos, String op) {
        if (i < 0 || i >= size) {
            throw new IllegalArgumentException(op + ": index " + i + " at position " + pos
                    + " is outside [0, " + size + ")");
        }
    }

    /** The entries {@code index[0], index[1], …} of dim {@code dim}, in that order. */
    public Tensor indexSelect(int dim, int[] index) {
        int k = Shapes.dim(dim, shape.length, "indexSelect");
        int[] os = shape.clone();
        os[k] = index.length;
        Tensor out = empty(dtype, os);
        for (int i = 0; i < index.length; i++) {
            checkIndex(index[i], shape[k], i, "indexSelect");
            copyInto(out.narrow(k, i, 1), narrow(k, index[i], 1));
        }
        return out;
    }

    /** Shape of a gather/scatter index: this shape with dim {@code k} resized to fit {@code indexLength}. */
    private int[] indexShape(int k, int indexLength, String op) {
        int others = shape[k] == 0 ? 0 : numel / shape[k];
        if (others == 0 || indexLength % others != 0) {
            throw new IllegalArgumentException(op + ": " + indexLength + " indices do not fit shape "
                    + Shapes.str(shape) + " with dim " + k + " resized");
        }
        int[] os = shape.clone();
        os[k] = indexLength / others;
        return os;
    }

    /**
     * {@code out[…, j, …] = this[…, index[…, j, …], …]} along {@code dim}. The index has this shape except at
     * {@code dim} (row-major, as an {@code int[]}); so does the result.
     */
    public Tensor gather(int dim, int[] index) {
        int k = Shapes.dim(dim, shape.length, "gather");
        int[] os = indexShape(k, index.length, "gather");
        Tensor out = empty(dtype, os);
        int inner = 1;
        for (int i = k + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        int j = os[k];
        for (int p = 0; p < index.length; p++) {
            checkIndex(index[p], shape[k], p, "gather");
            int in = p % inner;
            int outer = p / (inner * j);
            out.setRaw(p, rawAt(offsetOf(outer, index[p], in, k)));
        }
        return out;
    }

    /** Offset of the element with row-major outer index, index {@code mid} at dim k and inner index. */
    private int offsetOf(int outer, int mid, int inner, int k) {
        int p = offset + mid * strides[k];
        for (int i = shape.length - 1; i > k; i--) {
            p += (inner % shape[i]) * strides[i];
            inner /= shape[i];
        }
        for (int i = k - 1; i >= 0; i--) {
            p += (outer % shape[i]) * strides[i];
            outer /= shape[i];
        }
        return p;
    }

    /** A copy of this with {@code src[…, j, …]} added at {@code […, index[…, j, …], …]}: the adjoint of gather. */
    public Tensor scatterAdd(int dim, int[] index, Tensor src) {
        int k = Shapes.dim(dim, shape.length, "scatterAdd");
        int[] os = indexShape(k, index.length, "scatterAdd");
        if (!Arrays.equals(os, src.shape) || src.dtype != dtype) {
            throw new IllegalArgumentException("scatterAdd: source " + Shapes.str(src.shape) + " " + src.dtype
                    + " does not match the index shape " + Shapes.str(os) + " " + dtype);
        }
        Tensor out = unary(UnaryOp.COPY, 0, 0);
        Tensor s = src.contiguous();
        int inner = 1;
        for (int i = k + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        int j = os[k];
        for (int p = 0; p < index.length; p++) {
            checkIndex(index[p], shape[k], p, "scatterAdd");
            int in = p % inner;
            int outer = p / (inner * j);
            int q = out.offsetOf(outer, index[p], in, k);
            out.setRaw(q, out.rawAt(q) + s.rawAt(s.offset + p));
        }
        return out;
    }

    // ---------------------------------------------------------------- comparison and text

    /** Whether shapes match and {@code |a - b| <= atol + rtol·|b|} everywhere (NaNs never match). */
    public boolean allClose(Tensor other, double rtol, double atol) {
        if (!Arrays.equals(shape, other.shape)) {
            return false;
        }
        double[] a = toDoubleArray();
        double[] b = other.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) {
                return false;
            }
        }
        return true;
    }

    /** Shape, dtype and values, e.g. {@code Tensor[2, 2] float32 [[1.0, 2.0], [3.0, 4.0]]}; long dims are elided. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Shapes.str(shape)).append(' ')
                .append(dtype.name().toLowerCase(java.util.Locale.ROOT)).append(' ');
        int edge = numel > 1000 ? 3 : Integer.MAX_VALUE;
        appendValues(sb, 0, offset, edge);
        return sb.toString();
    }

    private void appendValues(StringBuilder sb, int dim, int pos, int edge) {
        if (dim == shape.length) {
            double v = rawAt(pos);
            sb.append(dtype == DType.FLOAT32 ? Float.toString((float) v) : Double.toString(v));
            return;
        }
        sb.append('[');
        int n = shape[dim];
        for (int i = 0; i < n; i++) {
            if (n > 2 * edge && i == edge) {
                sb.append("..., ");
                i = n - edge;
            }
            appendValues(sb, dim + 1, pos + i * strides[dim], edge);
            if (i < n - 1) {
                sb.append(dim == shape.length - 1 ? ", " : ",\n" + " ".repeat(dim + 1));
            }
        }
        sb.append(']');
    }
}
