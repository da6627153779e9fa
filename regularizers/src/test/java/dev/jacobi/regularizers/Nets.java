package dev.jacobi.regularizers;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import java.util.ArrayList;
import java.util.List;

/** Tiny test models. */
public final class Nets {
    private Nets() {
    }

    /** A two-layer net {@code W2 act(W1 x + b1) + b2} whose parameters are plain Vars, so GradCheck can vary them. */
    public static final class VarNet extends Layer {
        public List<Var> p;
        final boolean smooth;

        public VarNet(List<Var> p, boolean smooth) {
            this.p = p;
            this.smooth = smooth;
        }

        @Override
        public Var forward(Var x) {
            Var h = x.flatten(1, x.dim() - 1).matmul(p.get(0).t()).add(p.get(1));
            h = smooth ? h.tanh() : h.relu();
            return h.matmul(p.get(2).t()).add(p.get(3));
        }
    }

    /** Float64 parameters of a {@code d → hidden → c} VarNet. */
    public static List<Tensor> params(Rng r, int d, int hidden, int c) {
        List<Tensor> t = new ArrayList<>();
        t.add(Tensor.randn(r, DType.FLOAT64, hidden, d).mul(1.0 / Math.sqrt(d)));
        t.add(Tensor.randn(r, DType.FLOAT64, hidden).mul(0.3));
        t.add(Tensor.randn(r, DType.FLOAT64, c, hidden).mul(1.0 / Math.sqrt(hidden)));
        t.add(Tensor.randn(r, DType.FLOAT64, c).mul(0.3));
        return t;
    }

    public static List<Var> leaves(List<Tensor> ts) {
        List<Var> v = new ArrayList<>();
        for (Tensor t : ts) {
            v.add(Var.param(t));
        }
        return v;
    }

    public static int[] labels(Rng r, int n, int c) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(c);
        }
        return y;
    }
}
