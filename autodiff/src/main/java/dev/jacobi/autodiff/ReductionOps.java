package dev.jacobi.autodiff;

import static dev.jacobi.autodiff.Var.make;
import static dev.jacobi.autodiff.Var.of;

import dev.jacobi.core.Tensor;

/** The reduction primitives, each with its forward kernel and its backward rule. */
final class ReductionOps {
    private ReductionOps() {
    }

    /** Sum over {@code dims}. Rule: {@code g} reshaped with the dims kept, then expanded to the input shape. */
    static Var sum(Var x, int[] dims, boolean keepdim) {
        int[] s = x.shape();
        Tensor r = x.value().sum(dims, true);
        int[] keep = r.shape();
        Tensor res = keepdim ? r : r.reshape(dropped(s, dims));
        return make(Op.SUM, res, (g, out, n) -> new Var[] {g.reshape(keep).expand(s)}, x);
    }

    /** Maximum over {@code dims}. Rule: g shared evenly by the maximal elements (a constant mask). */
    static Var amax(Var x, int[] dims, boolean keepdim) {
        return extreme(Op.AMAX, x, x.value().amax(dims, true), dims, keepdim);
    }

    /** Minimum over {@code dims}. Rule: g shared evenly by the minimal elements (a constant mask). */
    static Var amin(Var x, int[] dims, boolean keepdim) {
        return extreme(Op.AMIN, x, x.value().amin(dims, true), dims, keepdim);
    }

    private static Var extreme(Op op, Var x, Tensor m, int[] dims, boolean keepdim) {
        int[] s = x.shape();
        Tensor mask = x.value().eq(m);
        Tensor weight = mask.div(mask.sum(dims, true));
        int[] keep = m.shape();
        Tensor res = keepdim ? m : m.reshape(dropped(s, dims));
        return make(op, res, (g, out, n) -> new Var[] {g.reshape(keep).expand(s).mul(of(weight))}, x);
    }

    /**
     * The 2-norm {@code √Σx²} over {@code dims}. Rule: {@code g·x/‖x‖}, and 0 where {@code ‖x‖ = 0}, as PyTorch's
     * {@code norm} (a plain {@code sqrt} would give {@code 0·∞ = NaN} there): the scale {@code g/‖x‖} is multiplied by
     * the constant mask {@code [‖x‖ ≠ 0]} and divided by {@code ‖x‖ + [‖x‖ = 0]}, so its derivatives are 0 there too.
     */
    static Var norm2(Var x, int[] dims, boolean keepdim) {
        int[] s = x.shape();
        Tensor r = x.value().square().sum(dims, true).sqrt();
        int[] keep = r.shape();
        Tensor res = keepdim ? r : r.reshape(dropped(s, dims));
        return make(Op.NORM, res, (g, out, n) -> {
            Tensor zero = r.eq(Tensor.zerosLike(r));
            Var scale = g.reshape(keep).div(out.reshape(keep).add(of(zero))).mul(of(Tensor.onesLike(zero).sub(zero)));
            return new Var[] {x.mul(scale)};
        }, x);
    }

    /**
     * {@code shape} without the reduced {@code dims} (negative ones count from the end), which the reduction that
     * comes with it has already validated: the shape of a reduction without keepdim, computed without reducing again.
     */
    static int[] dropped(int[] shape, int[] dims) {
        boolean[] drop = new boolean[shape.length];
        for (int d : dims) {
            drop[d < 0 ? d + shape.length : d] = true;
        }
        int[] out = new int[shape.length - dims.length];
        for (int i = 0, k = 0; i < shape.length; i++) {
            if (!drop[i]) {
                out[k++] = shape[i];
            }
        }
        return out;
    }
}
