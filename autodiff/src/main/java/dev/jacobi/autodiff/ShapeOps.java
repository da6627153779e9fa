package dev.jacobi.autodiff;

import static dev.jacobi.autodiff.Var.make;
import static dev.jacobi.autodiff.Var.of;

import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The shape and indexing primitives; each rule is the op's adjoint, itself made of these ops. */
final class ShapeOps {
    private ShapeOps() {
    }

    /** A new shape (one size may be -1). Rule: {@code g} reshaped back. */
    static Var reshape(Var x, int... newShape) {
        int[] s = x.shape();
        Tensor r = x.value().reshape(newShape);
        if (Arrays.equals(r.shape(), s)) {
            return x;
        }
        return make(Op.RESHAPE, r, (g, out, n) -> new Var[] {g.reshape(s)}, x);
    }

    /** Dims permuted. Rule: {@code g} permuted back. */
    static Var permute(Var x, int... dims) {
        int r = x.dim();
        int[] inv = new int[r];
        for (int i = 0; i < r; i++) {
            inv[Shapes.dim(dims[i], r, "permute")] = i;
        }
        return make(Op.PERMUTE, x.value().permute(dims), (g, out, n) -> new Var[] {g.permute(inv)}, x);
    }

    /** Broadcast to {@code sizes}. Rule: {@code g} summed back to the input shape. */
    static Var expand(Var x, int... sizes) {
        int[] s = x.shape();
        Tensor e = x.value().expand(sizes);
        if (Arrays.equals(e.shape(), s)) {
            return x;
        }
        return make(Op.EXPAND, e, (g, out, n) -> new Var[] {g.sumTo(s)}, x);
    }

    /** Elements {@code start..start+length-1} of {@code dim}. Rule: {@code g} placed back between zeros. */
    static Var narrow(Var x, int dim, int start, int length) {
        int[] s = x.shape();
        int k = Shapes.dim(dim, s.length, "narrow");
        return make(Op.NARROW, x.value().narrow(k, start, length), (g, out, n) -> {
            List<Var> parts = new ArrayList<>(3);
            int[] before = s.clone();
            before[k] = start;
            int[] after = s.clone();
            after[k] = s[k] - start - length;
            if (start > 0) {
                parts.add(of(Tensor.zeros(g.dtype(), before)));
            }
            parts.add(g);
            if (after[k] > 0) {
                parts.add(of(Tensor.zeros(g.dtype(), after)));
            }
            return new Var[] {cat(parts, k)};
        }, x);
    }

    /** Vars joined along {@code dim}. Rule: {@code g} narrowed to each input's slice. */
    static Var cat(List<Var> vars, int dim) {
        List<Tensor> values = new ArrayList<>(vars.size());
        for (Var v : vars) {
            values.add(v.value());
        }
        Tensor r = Tensor.cat(values, dim);
        int k = Shapes.dim(dim, r.dim(), "cat");
        int[] starts = new int[vars.size()];
        int[] sizes = new int[vars.size()];
        for (int i = 0, at = 0; i < vars.size(); i++) {
            starts[i] = at;
            sizes[i] = values.get(i).shape()[k];
            at += sizes[i];
        }
        return make(Op.CAT, r, (g, out, n) -> {
            Var[] gs = new Var[vars.size()];
            for (int i = 0; i < gs.length; i++) {
                gs[i] = n[i] ? g.narrow(k, starts[i], sizes[i]) : null;
            }
            return gs;
        }, vars.toArray(new Var[0]));
    }

    /** {@code out[…, j, …] = x[…, index[…, j, …], …]} along {@code dim}. Rule: {@code g} scatter-added back. */
    static Var gather(Var x, int dim, int[] index) {
        int[] s = x.shape();
        return make(Op.GATHER, x.value().gather(dim, index), (g, out, n) ->
                new Var[] {of(Tensor.zeros(g.dtype(), s)).scatterAdd(dim, index, g)}, x);
    }

    /** {@code x} with {@code src} added at the gathered positions. Rule: {@code (g, g.gather(dim, index))}. */
    static Var scatterAdd(Var x, int dim, int[] index, Var src) {
        return make(Op.SCATTER_ADD, x.value().scatterAdd(dim, index, src.value()), (g, out, n) -> new Var[] {
                n[0] ? g : null, n[1] ? g.gather(dim, index) : null}, x, src);
    }

    /** Entries {@code index} of {@code dim}. Rule: {@code g} index-added back. */
    static Var indexSelect(Var x, int dim, int[] index) {
        int[] s = x.shape();
        return make(Op.INDEX_SELECT, x.value().indexSelect(dim, index), (g, out, n) ->
                new Var[] {of(Tensor.zeros(g.dtype(), s)).indexAdd(dim, index, g)}, x);
    }

    /** {@code x} with the slices of {@code src} added at {@code index}. Rule: {@code (g, g.indexSelect(dim, index))}. */
    static Var indexAdd(Var x, int dim, int[] index, Var src) {
        return make(Op.INDEX_ADD, x.value().indexAdd(dim, index, src.value()), (g, out, n) -> new Var[] {
                n[0] ? g : null, n[1] ? g.indexSelect(dim, index) : null}, x, src);
    }
}
