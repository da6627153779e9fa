package dev.jacobi.autodiff;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Gradient checking for users' own functions, in float64. At each order k it picks a random cotangent {@code c}
 * and random directions {@code t}, and compares
 * <ul>
 *   <li>{@code ⟨Jt, c⟩} by central differences {@code (F(x+ht) − F(x−ht))/2h} with {@code ⟨t, Jᵀc⟩} from the
 *       backward rules (the dot-product test against numbers), and</li>
 *   <li>{@code ⟨Jt, c⟩} by the double-VJP trick (the VJP of {@code u ↦ ⟨Jᵀu, t⟩}, as {@link Autodiff#jvp} computes
 *       it) with the same {@code ⟨t, Jᵀc⟩}. This is reverse over reverse, not forward mode: it checks that the
 *       backward rules are themselves differentiated consistently, and the failure message calls it "double VJP".</li>
 * </ul>
 * The function checked at order k+1 is {@code x ↦ ⟨Jᵀ(x)c, t⟩} built with {@code createGraph = true}, so order k
 * checks the k-th derivative. Inputs are converted to float64; keep them away from kinks (ReLU, abs, max) by more
 * than the step {@code h}.
 */
public final class GradCheck {
    /** Central-difference step. */
    public static final double STEP = 1e-6;

    private GradCheck() {
    }

    /** A gradient check failed; the message names the function, order, expected and actual values. */
    public static final class Failure extends AssertionError {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    /** Checks a one-input function to {@code order} with relative tolerance {@code tol}; returns the worst error. */
    public static double check(String name, Function<Var, Var> f, Tensor x, int order, double tol) {
        return check(name, xs -> f.apply(xs.get(0)), List.of(x), order, tol, 1234);
    }

    /**
     * Checks {@code f} at {@code xs} to {@code order} (1 = first derivatives) with relative tolerance {@code tol},
     * using random directions from {@code seed}. Returns the largest relative error seen; throws {@link Failure}
     * when one exceeds {@code tol}.
     */
    public static double check(String name, Autodiff.MultiFunction f, List<Tensor> xs, int order, double tol, long seed) {
        if (order < 1) {
            throw new IllegalArgumentException("GradCheck.check: order must be >= 1, got " + order);
        }
        List<Tensor> x64 = new ArrayList<>(xs.size());
        for (Tensor x : xs) {
            x64.add(x.to(DType.FLOAT64));
        }
        Rng rng = new Rng(seed);
        Autodiff.MultiFunction level = f;
        double worst = 0;
        for (int k = 1; k <= order; k++) {
            Tensor y = eval(level, x64);
            Tensor c = Tensor.randn(rng, DType.FLOAT64, y.shape());
            List<Tensor> t = new ArrayList<>(x64.size());
            for (Tensor x : x64) {
                t.add(Tensor.randn(rng, DType.FLOAT64, x.shape()));
            }
            double back = dot(vjp(level, x64, c), t);
            double numeric = centralDifference(level, x64, t, c);
            double doubleVjp = doubleVjpDot(level, x64, t, c);
            worst = Math.max(worst, compare(name, k, "central differences", numeric, back, tol));
            worst = Math.max(worst, compare(name, k, "double VJP", doubleVjp, back, tol));
            Autodiff.MultiFunction prev = level;
            level = vs -> {
                List<Var> g = Autodiff.grad(prev.apply(vs), vs, Var.of(c), true);
                Var s = null;
                for (int i = 0; i < g.size(); i++) {
                    Var term = g.get(i).mul(Var.of(t.get(i))).sum();
                    s = s == null ? term : s.add(term);
                }
                return s;
            };
        }
        return worst;
    }

    private static double compare(String name, int order, String how, double expected, double actual, double tol) {
        double err = Math.abs(expected - actual) / Math.max(1.0, Math.max(Math.abs(expected), Math.abs(actual)));
        if (!(err <= tol)) {
            throw new Failure(String.format("gradcheck %s, order %d: <Jt, c> by %s = %.12g but <t, J^T c> by the "
                    + "backward rules = %.12g (relative error %.3g > tolerance %.3g)", name, order, how, expected,
                    actual, err, tol));
        }
        return err;
    }

    private static List<Tensor> vjp(Autodiff.MultiFunction f, List<Tensor> xs, Tensor c) {
        try (GradMode.Scope ignored = Autodiff.enableGrad()) {
            List<Var> ps = Autodiff.params(xs);
            return Autodiff.values(Autodiff.grad(f.apply(ps), ps, Var.of(c), false));
        }
    }

    /** {@code ⟨Jt, c⟩} as the VJP of {@code u ↦ ⟨Jᵀu, t⟩} at {@code c} (reverse over reverse). */
    private static double doubleVjpDot(Autodiff.MultiFunction f, List<Tensor> xs, List<Tensor> t, Tensor c) {
        try (GradMode.Scope ignored = Autodiff.enableGrad()) {
            List<Var> ps = Autodiff.params(xs);
            Var y = f.apply(ps);
            Var u = Var.param(Tensor.zerosLike(y.value()));
            List<Var> jtu = Autodiff.grad(y, ps, u, true);
            Var s = null;
            for (int i = 0; i < jtu.size(); i++) {
                Var term = jtu.get(i).mul(Var.of(t.get(i))).sum();
                s = s == null ? term : s.add(term);
            }
            Tensor jt = Autodiff.grad(s, List.of(u), null, false).get(0).value();
            return jt.mul(c).sum().item();
        }
    }

    private static double centralDifference(Autodiff.MultiFunction f, List<Tensor> xs, List<Tensor> t, Tensor c) {
        List<Tensor> plus = new ArrayList<>(xs.size());
        List<Tensor> minus = new ArrayList<>(xs.size());
        for (int i = 0; i < xs.size(); i++) {
            plus.add(xs.get(i).add(t.get(i).mul(STEP)));
            minus.add(xs.get(i).sub(t.get(i).mul(STEP)));
        }
        return eval(f, plus).sub(eval(f, minus)).mul(c).sum().item() / (2 * STEP);
    }

    /** Evaluates {@code f} with its inputs as parameters, since a higher-order level differentiates inside. */
    private static Tensor eval(Autodiff.MultiFunction f, List<Tensor> xs) {
        try (GradMode.Scope ignored = Autodiff.enableGrad()) {
            return f.apply(Autodiff.params(xs)).value();
        }
    }

    private static double dot(List<Tensor> a, List<Tensor> b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) {
            s += a.get(i).mul(b.get(i)).sum().item();
        }
        return s;
    }
}
