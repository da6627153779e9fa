package dev.jacobi.core;

import dev.jacobi.core.blas.Gemm;
import dev.jacobi.core.kernel.UnaryOp;
import java.util.Arrays;

/**
 * The bodies of {@link Tensor#matmul}, {@link Tensor#addmm} and {@link Tensor#addmmInPlace}: batch broadcasting, and
 * the layout decisions that let GEMM read transposed operands in place.
 */
final class MatMul {
    private MatMul() {
    }

    /**
     * The body of {@link Tensor#matmul} ({@code into} null: a fresh result) and of its out= form
     * {@link Tensor#matmul(Tensor, Tensor, Tensor)} ({@code into} the tensor written): {@code t·other}. A contiguous
     * {@code into} that shares no memory with the operands is written by the GEMM itself; any other is filled from
     * a fresh product, so an operand that shares its memory is read as it was.
     */
    static Tensor matmul(Tensor t, Tensor other, Tensor into) {
        if (other.dtype != t.dtype) {
            throw new IllegalArgumentException("matmul: dtypes differ: " + t.dtype + " and " + other.dtype);
        }
        if (t.shape.length == 0 || other.shape.length == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least one dim, got "
                    + Shapes.str(t.shape) + " x " + Shapes.str(other.shape));
        }
        Tensor a = t.shape.length == 1 ? t.unsqueeze(0) : t;
        Tensor b = other.shape.length == 1 ? other.unsqueeze(1) : other;
        int m = a.shape[a.shape.length - 2];
        int k = a.shape[a.shape.length - 1];
        int k2 = b.shape[b.shape.length - 2];
        int n = b.shape[b.shape.length - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shapes.str(t.shape) + " x "
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
        // a 1-D operand's dim is dropped from the result, as PyTorch's matmul drops it
        int[] shape = Arrays.copyOf(batch, r + (t.shape.length == 1 ? 0 : 1) + (other.shape.length == 1 ? 0 : 1));
        if (t.shape.length > 1) {
            shape[r] = m;
        }
        if (other.shape.length > 1) {
            shape[shape.length - 1] = n;
        }
        if (into != null) {
            Elementwise.checkOut(into, t.dtype, shape, "matmul");
        }
        boolean direct = into != null && into.isContiguous() && !into.sharesStorage(t) && !into.sharesStorage(other);
        Tensor out = direct ? into : Tensor.uninitialized(t.dtype, outShape);
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
            if (t.dtype == DType.FLOAT32) {
                Gemm.sgemm(la[0] == 1, lb[0] == 1, m, n, k, 1f, a.f(), ao, la[1], b.f(), bo, lb[1], 0f,
                        out.f(), out.offset + bi * m * n, n);
            } else {
                Gemm.dgemm(la[0] == 1, lb[0] == 1, m, n, k, 1.0, a.d(), ao, la[1], b.d(), bo, lb[1], 0.0,
                        out.d(), out.offset + bi * m * n, n);
            }
        }
        if (direct) {
            into.modified();
            return into;
        }
        Tensor result = out.reshape(shape);
        if (into == null) {
            return result;
        }
        Indexing.copyInto(into, result);
        out.close();
        into.modified();
        return into;
    }

    /** The body of {@link Tensor#addmm} ({@code inPlace} false) and {@link Tensor#addmmInPlace} (true). */
    static Tensor addmm(Tensor t, Tensor mat1, Tensor mat2, boolean inPlace) {
        if (mat1.dtype != t.dtype || mat2.dtype != t.dtype) {
            throw new IllegalArgumentException("addmm: dtypes differ: " + t.dtype + ", " + mat1.dtype + " and "
                    + mat2.dtype);
        }
        if (mat1.shape.length != 2 || mat2.shape.length != 2 || mat1.shape[1] != mat2.shape[0]) {
            throw new IllegalArgumentException("addmm: need matrices [m, k] and [k, n], got "
                    + Shapes.str(mat1.shape) + " and " + Shapes.str(mat2.shape));
        }
        int m = mat1.shape[0];
        int k = mat1.shape[1];
        int n = mat2.shape[1];
        if (!Arrays.equals(Shapes.broadcast(t.shape, new int[] {m, n}, "addmm"), new int[] {m, n})) {
            throw new IllegalArgumentException("addmm: input of shape " + Shapes.str(t.shape)
                    + " does not broadcast to the product's shape " + Shapes.str(new int[] {m, n}));
        }
        Tensor a = gemmLayout(mat1, 0) == null ? mat1.contiguous() : mat1;
        Tensor b = gemmLayout(mat2, 0) == null ? mat2.contiguous() : mat2;
        int[] la = gemmLayout(a, 0);
        int[] lb = gemmLayout(b, 0);
        boolean matrix = t.shape.length == 2 && t.shape[0] == m;
        if (inPlace && matrix && m > 1 && n > 1 && t.strides[0] == 1 && t.strides[1] == m) {
            // the transpose of a contiguous matrix: its storage takes Cᵀ += op(B)ᵀ·op(A)ᵀ
            gemm(lb[0] == 0, la[0] == 0, n, m, k, b, lb[1], a, la[1], t, t.offset, m);
            return t;
        }
        Tensor out = t;
        if (!(inPlace && matrix && t.isContiguous())) {
            // a copy; from a contiguous input a plain array copy, which the JVM need not zero first
            out = !(matrix && t.isContiguous()) ? t.expand(m, n).unary(UnaryOp.COPY, 0, 0)
                    : t.dtype == DType.FLOAT32 ? Tensor.wrap(Arrays.copyOfRange(t.f(), t.offset, t.offset + m * n), m, n)
                    : Tensor.wrap(Arrays.copyOfRange(t.d(), t.offset, t.offset + m * n), m, n);
        }
        gemm(la[0] == 1, lb[0] == 1, m, n, k, a, la[1], b, lb[1], out, out.offset, n);
        return out;
    }

    /** {@code c[co..] += op(a)·op(b)} ({@code m×n}, row stride {@code ldc}) in the tensors' dtype. */
    private static void gemm(boolean ta, boolean tb, int m, int n, int k, Tensor a, int lda, Tensor b, int ldb,
                             Tensor c, int co, int ldc) {
        if (c.dtype == DType.FLOAT32) {
            Gemm.sgemm(ta, tb, m, n, k, 1f, a.f(), a.offset, lda, b.f(), b.offset, ldb, 1f, c.f(), co, ldc);
        } else {
            Gemm.dgemm(ta, tb, m, n, k, 1.0, a.d(), a.offset, lda, b.d(), b.offset, ldb, 1.0, c.d(), co, ldc);
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
}
