package dev.jacobi.autodiff;

import static dev.jacobi.autodiff.Var.make;
import static dev.jacobi.autodiff.Var.of;

import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;

/**
 * The matrix-product primitives and the matrix inverse. Their rules are {@link Rule.Accumulating}: a factor's cotangent is added onto the
 * cotangent summed so far by one {@code addmm}, in place when no graph is recorded and the engine owns the sum.
 */
final class LinalgOps {
    private LinalgOps() {
    }

    /**
     * The product of {@code a} and {@code b}, both of at least two dims, batch dims broadcast ({@link Var#matmul}
     * promotes 1-D operands first). Rule: {@code (g·bᵀ, aᵀ·g)}, summed over broadcast batch dims.
     */
    static Var matmul(Var a, Var b) {
        return make(Op.MATMUL, a.value().matmul(b.value()), (Rule.Accumulating) (g, out, n, acc, own) -> new Var[] {
                n[0] ? productCotangent(g, a, b, 0, acc, own, 0) : null,
                n[1] ? productCotangent(g, a, b, 1, acc, own, 1) : null}, a, b);
    }

    /**
     * {@code c + mat1·mat2} in one GEMM ({@code c} broadcast to {@code [m, n]}). Rule: {@code (g summed to c's shape,
     * g·mat2ᵀ, mat1ᵀ·g)}.
     */
    static Var addmm(Var c, Var mat1, Var mat2) {
        int[] s = c.shape();
        return make(Op.ADDMM, c.value().addmm(mat1.value(), mat2.value()), (Rule.Accumulating) (g, out, n, acc, own) -> {
            own[0] = false;
            return new Var[] {n[0] ? (acc[0] == null ? g.sumTo(s) : acc[0].add(g.sumTo(s))) : null,
                    n[1] ? productCotangent(g, mat1, mat2, 0, acc, own, 1) : null,
                    n[2] ? productCotangent(g, mat1, mat2, 1, acc, own, 2) : null};
        }, c, mat1, mat2);
    }

    /**
     * The inverse of each square matrix in the last two dims ({@link Linalg#inv}). Rule: {@code −Yᵀ·g·Yᵀ} with
     * {@code Y} the output, so that higher derivatives go through the output's own rule.
     */
    static Var inverse(Var a) {
        return make(Op.INVERSE, Linalg.inv(a.value()), (g, out, n) -> new Var[] {
                out.mT().matmul(g).matmul(out.mT()).neg()}, a);
    }

    /**
     * The cotangent of factor {@code which} (0 for {@code a}, 1 for {@code b}) of the product {@code a·b} for its
     * cotangent {@code g}, added onto {@code acc[j]} unless that is null. A cotangent takes its factor's layout: for a
     * transposed matrix ({@code W.t()} in a linear layer) it is formed transposed, so that the transpose's own rule
     * hands back a contiguous gradient, not a strided view. Between matrices the sum is one {@code addmm}, written
     * into {@code acc[j]}'s own storage when the engine owns it ({@code owned[j]}) and no graph is recorded;
     * {@code owned[j]} is then set to whether the result is fresh and unshared, as {@link Rule.Accumulating} asks.
     */
    private static Var productCotangent(Var g, Var a, Var b, int which, Var[] acc, boolean[] owned, int j) {
        Var sum = acc[j];
        boolean inPlace = sum != null && owned[j] && !GradMode.enabled();
        owned[j] = false;
        if (a.dim() != 2 || b.dim() != 2) {
            Var c = which == 0 ? g.matmul(b.mT()).sumTo(a.shape()) : a.mT().matmul(g).sumTo(b.shape());
            return sum == null ? c : sum.add(c);
        }
        owned[j] = true;
        // (acc + cᵀ)ᵀ is formed as accᵀ + c, with c = b·gᵀ for a and gᵀ·a for b
        boolean transposed = transposedMatrix((which == 0 ? a : b).value());
        Var p = transposed ? (which == 0 ? b : g.mT()) : (which == 0 ? g : a.mT());
        Var q = transposed ? (which == 0 ? g.mT() : a) : (which == 0 ? b.mT() : g);
        if (inPlace) {
            Tensor into = transposed ? sum.value().transpose(0, 1) : sum.value();
            Tensor r = into.addmmInPlace(p.value(), q.value());
            return r == into ? sum : of(transposed ? r.transpose(0, 1) : r);
        }
        Var t = sum == null ? p.matmul(q) : (transposed ? sum.mT() : sum).addmm(p, q);
        return transposed ? t.mT() : t;
    }

    /** A 2-D tensor stored as the transpose of a contiguous one. */
    private static boolean transposedMatrix(Tensor t) {
        return t.dim() == 2 && !t.isContiguous() && t.transpose(0, 1).isContiguous();
    }
}
