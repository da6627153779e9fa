package dev.jacobi.core;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.BinaryOp;
import dev.jacobi.core.kernel.CachingAllocator;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Strided;
import dev.jacobi.core.kernel.UnaryOp;
import dev.jacobi.core.kernel.Workers;
import java.util.Arrays;

/**
 * The element-wise machinery behind {@link Tensor}'s unary and binary ops, {@link Tensor#where},
 * {@link Tensor#add(Tensor, double)}, dtype conversion and {@link Tensor#allClose}: strided plans over the operands,
 * run in memory order for operands stored densely in one non-row-major dim order, and split over the thread pool
 * when large.
 */
final class Elementwise {
    private Elementwise() {
    }

    static Tensor unary(Tensor t, UnaryOp op, double p, double q) {
        int[] perm = op == UnaryOp.COPY ? null : densePerm(t);
        if (perm != null) {
            return unary(t.permute(perm), op, p, q).permute(inversePerm(perm));
        }
        Tensor out = Tensor.uninitialized(t.dtype, t.shape);
        run(op, p, q, t, out);
        return out;
    }

    /** {@code out = op(t)} for {@code t} of {@code out}'s shape and a row-major {@code out}, which may be {@code t}. */
    private static void run(UnaryOp op, double p, double q, Tensor t, Tensor out) {
        Strided plan = Strided.plan(t.shape, t.strides, out.strides);
        int as = plan.innerStride(0);
        if (t.dtype == DType.FLOAT32) {
            Kernels k = Backend.KERNELS;
            float fp = (float) p;
            float fq = (float) q;
            forRuns(plan, new int[] {t.offset, out.offset},
                    (o, n) -> k.unary(op, t.f(), o[0], as, out.f(), o[1], n, fp, fq));
        } else {
            double[] td = t.d();
            double[] od = out.d();
            forRuns(plan, new int[] {t.offset, out.offset}, (o, n) -> {
                for (int i = 0; i < n; i++) {
                    od[o[1] + i] = op.apply(td[o[0] + i * as], p, q);
                }
            });
        }
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
            if (t.numel() <= 1) {
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

    static Tensor binary(Tensor t, BinaryOp op, Tensor other) {
        String name = op.opName();
        if (other.dtype != t.dtype) {
            throw new IllegalArgumentException(name + ": dtypes differ: " + t.dtype + " and " + other.dtype);
        }
        int[] os = Shapes.broadcast(t.shape, other.shape, name);
        Tensor a = t.expand(os);
        Tensor b = other.expand(os);
        int[] perm = densePerm(a, b);
        if (perm != null) {
            return binary(a.permute(perm), op, b.permute(perm)).permute(inversePerm(perm));
        }
        Tensor out = Tensor.uninitialized(t.dtype, os);
        run(op, a, b, out);
        return out;
    }

    /** {@code out = a op b} for operands of {@code out}'s shape and a row-major {@code out}, which may be {@code a}. */
    private static void run(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        Strided plan = Strided.plan(out.shape, a.strides, b.strides, out.strides);
        int as = plan.innerStride(0);
        int bs = plan.innerStride(1);
        int oo = out.offset;
        if (out.dtype == DType.FLOAT32) {
            Kernels k = Backend.KERNELS;
            forRuns(plan, new int[] {a.offset, b.offset, oo},
                    (o, n) -> k.binary(op, a.f(), o[0], as, b.f(), o[1], bs, out.f(), o[2], n));
        } else {
            double[] ad = a.d();
            double[] bd = b.d();
            double[] od = out.d();
            forRuns(plan, new int[] {a.offset, b.offset, oo}, (o, n) -> {
                for (int i = 0; i < n; i++) {
                    od[o[2] + i] = op.apply(ad[o[0] + i * as], bd[o[1] + i * bs]);
                }
            });
        }
    }

    /**
     * The body of the in-place binary ops ({@link Tensor#add_}, {@link Tensor#mul_}, ...): {@code t = t op other},
     * {@code other} broadcast to {@code t}'s shape, in one pass when {@code t} is row-major. Bumps the version.
     */
    static Tensor binaryInPlace(Tensor t, BinaryOp op, Tensor other) {
        String name = op.opName() + "_";
        int[] os = Shapes.broadcast(t.shape, other.shape, name);
        if (!Arrays.equals(os, t.shape)) {
            throw new IllegalArgumentException(name + ": the result's shape " + Shapes.str(os) + " differs from "
                    + Shapes.str(t.shape) + ", the shape of the tensor written in place (it cannot broadcast); use the"
                    + " out-of-place " + op.opName());
        }
        return binaryInto(t, op, other, t, name);
    }

    /** The body of the in-place unary ops ({@link Tensor#relu_}, {@link Tensor#exp_}). Bumps the version. */
    static Tensor unaryInPlace(Tensor t, UnaryOp op, String name) {
        return unaryOut(t, op, t, name);
    }

    /** The body of {@link Tensor#copy_}: {@code src} (converted to {@code t}'s dtype) broadcast into {@code t}. */
    static Tensor copyInPlace(Tensor t, Tensor src) {
        Tensor s = src.to(t.dtype);
        int[] os = Shapes.broadcast(t.shape, s.shape, "copy_");
        if (!Arrays.equals(os, t.shape)) {
            throw new IllegalArgumentException("copy_: source of shape " + Shapes.str(src.shape)
                    + " does not broadcast to " + Shapes.str(t.shape) + ", the shape of the tensor written");
        }
        writable(t, "copy_");
        Indexing.copyInto(t, operandOf(t, s.expand(os)));
        t.modified();
        return t;
    }

    /**
     * The body of the binary out= ops ({@link Tensor#add(Tensor, Tensor, Tensor)} and the like): {@code out = t op
     * other}, broadcasting, written into {@code out} (checked by {@link #checkOut}). Bumps its version.
     */
    static Tensor binaryOut(Tensor t, BinaryOp op, Tensor other, Tensor out) {
        return binaryInto(t, op, other, out, op.opName());
    }

    /** {@code out = t op other} for the in-place and out= ops, {@code name} the op in errors. */
    private static Tensor binaryInto(Tensor t, BinaryOp op, Tensor other, Tensor out, String name) {
        if (other.dtype != t.dtype) {
            throw new IllegalArgumentException(name + ": dtypes differ: " + t.dtype + " and " + other.dtype);
        }
        int[] os = Shapes.broadcast(t.shape, other.shape, name);
        checkOut(out, t.dtype, os, name);
        Tensor a = operandOf(out, t.expand(os));
        Tensor b = operandOf(out, other.expand(os));
        if (out.isContiguous()) {
            run(op, a, b, out);
        } else {
            Tensor r = binary(a, op, b);
            Indexing.copyInto(out, r);
            r.close();
        }
        out.modified();
        return out;
    }

    /**
     * The body of the unary out= ops ({@link Tensor#relu(Tensor, Tensor)}, {@link Tensor#exp(Tensor, Tensor)}) and,
     * with {@code out = t}, of the in-place ones.
     */
    static Tensor unaryOut(Tensor t, UnaryOp op, Tensor out, String name) {
        checkOut(out, t.dtype, t.shape, name);
        Tensor a = operandOf(out, t);
        if (out.isContiguous()) {
            run(op, 0, 0, a, out);
        } else {
            Tensor r = unary(a, op, 0, 0);
            Indexing.copyInto(out, r);
            r.close();
        }
        out.modified();
        return out;
    }

    /**
     * Checks the tensor an out= op writes: not released, not an expanded view, and of the result's dtype and shape
     * (PyTorch resizes an out of another shape; here that is an error, so a buffer is never silently replaced).
     */
    static void checkOut(Tensor out, DType dtype, int[] shape, String name) {
        out.requireLive();
        if (out.dtype != dtype) {
            throw new IllegalArgumentException(name + ": out has dtype " + out.dtype + " but the result is " + dtype
                    + "; pass an out of dtype " + dtype);
        }
        if (!Arrays.equals(out.shape, shape)) {
            throw new IllegalArgumentException(name + ": out has shape " + Shapes.str(out.shape)
                    + " but the result has shape " + Shapes.str(shape) + "; pass an out of that shape");
        }
        writable(out, name);
    }

    /**
     * {@code t}, of {@code out}'s shape, as an operand of an out= op: read in place when it is {@code out}'s own
     * elements (each is read before it is written) or shares no memory with it, else copied first.
     */
    private static Tensor operandOf(Tensor out, Tensor t) {
        boolean same = t.offset == out.offset && Arrays.equals(t.strides, out.strides);
        return !t.sharesStorage(out) || same ? t : t.copy();
    }

    /** Throws unless every element of {@code t} has its own memory (an expanded view's do not). */
    private static void writable(Tensor t, String name) {
        for (int d = 0; d < t.shape.length; d++) {
            if (t.shape[d] > 1 && t.strides[d] == 0) {
                throw new IllegalArgumentException(name + ": the tensor written, of shape "
                        + Shapes.str(t.shape) + ", is an expanded view (stride 0 in dim " + d + "), so several of its"
                        + " elements share one memory location; write into a copy() of it");
            }
        }
    }

    /** {@code t op s}, with {@code s} as a 0-dim tensor of {@code t}'s dtype. */
    static Tensor binary(Tensor t, BinaryOp op, double s) {
        return binary(t, op, scalarLike(t, s));
    }

    private static Tensor scalarLike(Tensor t, double v) {
        return Tensor.full(t.dtype, v);
    }

    /** Whether {@link #axpy} applies: float32 tensors of one shape, both contiguous. */
    static boolean axpyApplies(Tensor out, Tensor other) {
        return out.dtype == DType.FLOAT32 && other.dtype == DType.FLOAT32 && Arrays.equals(out.shape, other.shape)
                && out.isContiguous() && other.isContiguous();
    }

    /** {@code out += alpha·other} where {@link #axpyApplies}. */
    static void axpy(double alpha, Tensor other, Tensor out) {
        int n = out.numel();
        float a = (float) alpha;
        float[] of = out.f();
        float[] xf = other.f();
        // blocks of 1024 keep every element on the same (vector or tail) path for any thread count
        Workers.forRange((n + 1023) / 1024, 64, (b0, b1) -> {
            int i0 = b0 * 1024;
            Backend.KERNELS.axpy(a, xf, other.offset + i0, of, out.offset + i0, Math.min(n, b1 * 1024) - i0);
        });
    }

    /** The body of {@link Tensor#add(Tensor, double)}. */
    static Tensor add(Tensor t, Tensor other, double alpha) {
        if (axpyApplies(t, other)) {
            int n = t.numel();
            float[] out = CachingAllocator.floats(n);
            System.arraycopy(t.f(), t.offset, out, 0, n);
            Tensor r = Tensor.wrap(out, t.shape);
            axpy(alpha, other, r);
            return r;
        }
        return t.add(other.mul(alpha));
    }

    /** The body of {@link Tensor#where}. */
    static Tensor where(Tensor condition, Tensor x, Tensor y) {
        if (x.dtype != y.dtype || condition.dtype != x.dtype) {
            throw new IllegalArgumentException("where: dtypes differ: condition " + condition.dtype + ", x "
                    + x.dtype + ", y " + y.dtype);
        }
        int[] os = Shapes.broadcast(Shapes.broadcast(condition.shape, x.shape, "where"), y.shape, "where");
        Tensor c = condition.expand(os);
        Tensor a = x.expand(os);
        Tensor b = y.expand(os);
        Tensor out = Tensor.empty(x.dtype, os);
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

    /** The body of {@link Tensor#to(DType)}. */
    static Tensor to(Tensor t, DType target) {
        if (target == t.dtype) {
            return t;
        }
        Tensor src = t.contiguous();
        int n = t.numel();
        if (target == DType.FLOAT64) {
            double[] out = new double[n];
            float[] a = src.f();
            for (int i = 0; i < n; i++) {
                out[i] = a[src.offset + i];
            }
            return Tensor.wrap(out, t.shape);
        }
        float[] out = new float[n];
        double[] a = src.d();
        for (int i = 0; i < n; i++) {
            out[i] = (float) a[src.offset + i];
        }
        return Tensor.wrap(out, t.shape);
    }

    /** The body of {@link Tensor#allClose}. */
    static boolean allClose(Tensor t, Tensor other, double rtol, double atol) {
        if (!Arrays.equals(t.shape, other.shape)) {
            return false;
        }
        double[] a = t.toDoubleArray();
        double[] b = other.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) {
                return false;
            }
        }
        return true;
    }
}
