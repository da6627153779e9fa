package dev.jacobi.regularizers.inputspace;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The engine shared by {@link AdversarialPenalty} and {@link DeformationPenalty}: per class k and example i, ascend
 * {@code f_k(T_θ(xᵢ))} over perturbation parameters {@code θ} (from 0) with normalised-gradient steps projected on
 * {@code ‖θ‖₂ ≤ ε}; per class take the example maximising {@code f_k(T_θ x) − f_k(x)}; penalty
 * {@code Σ_k (f_k(T_θ x_{i*}) − f_k(x_{i*}))²}, recomputed with a graph. All classes run in one batch of
 * {@code C·N} rows.
 */
final class ClassAscent {
    private ClassAscent() {
    }

    /**
     * @param perturb {@code (x rows, θ rows) ↦ T_θ(x)}, differentiable in θ
     * @param thetaTail the shape of one example's θ
     */
    static Var penalty(String op, Layer model, Tensor x, double eps, int steps, double stepSize, int[] thetaTail,
                       BiFunction<Var, Var, Var> perturb) {
        return penaltyAt(model, search(op, model, x, eps, steps, stepSize, thetaTail, perturb), perturb);
    }

    /** The selected examples (one per class) and their perturbation parameters: constants of the penalty. */
    record Selection(Tensor x, Tensor theta) {
    }

    /** The ascent and the per-class selection, without a graph to the parameters. */
    static Selection search(String op, Layer model, Tensor x, double eps, int steps, double stepSize,
                            int[] thetaTail, BiFunction<Var, Var, Var> perturb) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException(op + ": inputs must be [N, ...], got " + Shapes.str(x.shape()));
        }
        int n = x.shape()[0];
        Tensor clean;
        try (var ignored = Autodiff.noGrad()) {
            clean = model.forward(Var.of(x)).value();
        }
        if (clean.dim() != 2) {
            throw new IllegalArgumentException(op + ": wants logits [N, C], got " + Shapes.str(clean.shape()));
        }
        int c = clean.shape()[1];
        List<Tensor> copies = new ArrayList<>(c);
        int[] cls = new int[c * n];
        for (int k = 0; k < c; k++) {
            copies.add(x);
            for (int i = 0; i < n; i++) {
                cls[k * n + i] = k;
            }
        }
        Tensor xr = Tensor.cat(copies, 0);
        int[] ts = new int[thetaTail.length + 1];
        ts[0] = c * n;
        System.arraycopy(thetaTail, 0, ts, 1, thetaTail.length);
        Tensor theta = Tensor.zeros(x.dtype(), ts);
        for (int s = 0; s < steps; s++) {
            try (var ignored = Autodiff.enableGrad()) {
                Var tv = Var.param(theta);
                Var obj = model.forward(perturb.apply(Var.of(xr), tv)).gather(1, cls).sum();
                Tensor g = Autodiff.grad(obj, List.of(tv), null, false).get(0).value();
                theta = InputGrads.projectL2(theta.add(InputGrads.normalizeRows(g).mul(stepSize)), eps);
            }
        }
        int[] best = new int[c];
        int[] rowsAdv = new int[c];
        try (var ignored = Autodiff.noGrad()) {
            double[] adv = model.forward(perturb.apply(Var.of(xr), Var.of(theta))).value().gather(1, cls)
                    .toDoubleArray();
            double[] f0 = clean.toDoubleArray();
            for (int k = 0; k < c; k++) {
                double[] gain = new double[n];
                for (int i = 0; i < n; i++) {
                    gain[i] = adv[k * n + i] - f0[i * c + k];
                }
                best[k] = InputGrads.argmax(gain);
                rowsAdv[k] = k * n + best[k];
            }
        }
        return new Selection(InputGrads.rows(x, best), InputGrads.rows(theta, rowsAdv));
    }

    /** {@code Σ_k (f_k(T_θk x_k) − f_k(x_k))²} for a fixed selection, with a graph to the parameters. */
    static Var penaltyAt(Layer model, Selection sel, BiFunction<Var, Var, Var> perturb) {
        try (var ignored = Autodiff.enableGrad()) {
            Var xs = Var.of(sel.x());
            int c = sel.x().shape()[0];
            Var eye = Var.of(Tensor.eye(sel.x().dtype(), c));
            Var fAdv = model.forward(perturb.apply(xs, Var.of(sel.theta())));
            Var fClean = model.forward(xs);
            return fAdv.sub(fClean).mul(eye).sum(1, false).square().sum();
        }
    }
}
