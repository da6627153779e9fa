package dev.jacobi.regularizers.attacks;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.inputspace.HessianNormPenalty;
import dev.jacobi.regularizers.inputspace.InputGrads;
import dev.jacobi.regularizers.inputspace.InputLoss;
import dev.jacobi.regularizers.roll.Roll;
import java.util.Arrays;
import java.util.List;

/**
 * One-call robustness report: clean accuracy, PGD accuracy at a list of ε, the empirical Lipschitz lower bound
 * ({@code maxᵢ ‖∇ₓ(f_{yᵢ} − f_{j*})(xᵢ)‖₂} over the label and its strongest rival, and {@code maxᵢ σ_max(J(xᵢ))} by
 * power iteration on {@code JᵀJ} with JVP/VJP), the top input-Hessian |eigenvalue| statistics of the loss, and the
 * ROLL ℓ2 margin percentiles when the model is piecewise linear. The model is put in evaluation mode for the call
 * and its mode restored.
 */
public final class Robustness {
    private Robustness() {
    }

    /**
     * The report.
     *
     * @param cleanAccuracy     fraction classified correctly
     * @param eps               the attack radii
     * @param pgdAccuracy       accuracy under the attack at each radius
     * @param maxLogitGradNorm  {@code maxᵢ ‖∇ₓ(f_y − f_{j*})‖₂} (a lower bound on {@code √2·Lip(f)})
     * @param maxJacobianNorm   {@code maxᵢ σ_max(J(xᵢ))}, a lower bound on the ℓ2 Lipschitz constant of f
     * @param hessianTop        mean, median and max of {@code |λ_max(∇²ₓℓ)|} over the examples
     * @param marginPercentiles 10th, 50th and 90th percentiles of the ℓ2 ROLL margin, or null if not piecewise linear
     * @param marginsNotApplicable why there are no margins (the model is not piecewise linear), or null
     */
    public record Report(double cleanAccuracy, double[] eps, double[] pgdAccuracy, double maxLogitGradNorm,
                         double maxJacobianNorm, double[] hessianTop, double[] marginPercentiles,
                         String marginsNotApplicable) {
        /** A plain-text table, one quantity per row. */
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            b.append(String.format("%-34s %12s%n", "quantity", "value"));
            b.append(String.format("%-34s %12.4f%n", "clean accuracy", cleanAccuracy));
            for (int i = 0; i < eps.length; i++) {
                b.append(String.format("%-34s %12.4f%n", "PGD accuracy at eps=" + eps[i], pgdAccuracy[i]));
            }
            b.append(String.format("%-34s %12.4g%n", "max ||grad(f_y - f_j)||_2", maxLogitGradNorm));
            b.append(String.format("%-34s %12.4g%n", "max sigma_max(J) (power it.)", maxJacobianNorm));
            b.append(String.format("%-34s %12.4g%n", "Hessian top |eig|: mean", hessianTop[0]));
            b.append(String.format("%-34s %12.4g%n", "Hessian top |eig|: median", hessianTop[1]));
            b.append(String.format("%-34s %12.4g%n", "Hessian top |eig|: max", hessianTop[2]));
            if (marginPercentiles != null) {
                String[] q = {"p10", "p50", "p90"};
                for (int i = 0; i < 3; i++) {
                    b.append(String.format("%-34s %12.4g%n", "ROLL l2 margin " + q[i], marginPercentiles[i]));
                }
            } else {
                b.append(String.format("%-34s n/a: %s%n", "ROLL l2 margin", marginsNotApplicable));
            }
            return b.toString();
        }
    }

    /**
     * Evaluates {@code model} on {@code (x, y)}.
     *
     * @param model  the model
     * @param x      inputs in the attack's data range
     * @param y      labels
     * @param attack the PGD attack (its ε is replaced by each entry of {@code eps})
     * @param eps    radii to attack at
     * @param powerIterations steps of the Jacobian and Hessian power iterations
     * @return the report
     */
    public static Report evaluate(Layer model, Tensor x, int[] y, Attacks.Pgd attack, double[] eps,
                                  int powerIterations) {
        InputGrads.checkBatch("Robustness.evaluate", x, y);
        boolean training = model.isTraining();
        model.eval();
        try {
            double clean = Attacks.accuracy(model, x, y);
            double[] acc = new double[eps.length];
            for (int i = 0; i < eps.length; i++) {
                if (eps[i] == 0) {
                    acc[i] = clean;
                    continue;
                }
                Attacks.Pgd a = new Attacks.Pgd(attack.norm(), eps[i], attack.stepSize() / Math.max(attack.eps(), 1e-12)
                        * eps[i], attack.steps(), attack.randomStart(), attack.lo(), attack.hi(), attack.seed());
                acc[i] = Attacks.accuracy(model, Attacks.pgd(model, x, y, a), y);
            }
            double logitGrad = logitGradNorm(model, x, y);
            double jac = jacobianNorm(model, x, powerIterations);
            Tensor eig = new HessianNormPenalty(powerIterations, y.length, HessianNormPenalty.Mode.EXACT, 1e-2,
                    InputLoss.crossEntropy()).eigenvalues(model, x, y).abs();
            double[] e = eig.toDoubleArray();
            Arrays.sort(e);
            double[] hess = {eig.mean().item(), percentile(e, 50), e[e.length - 1]};
            double[] margins = null;
            String noMargins = Roll.notPiecewiseLinear(model);
            if (noMargins == null) {
                double[] m = Roll.margins(model, x, 2).toDoubleArray();
                Arrays.sort(m);
                margins = new double[] {percentile(m, 10), percentile(m, 50), percentile(m, 90)};
            }
            return new Report(clean, eps.clone(), acc, logitGrad, jac, hess, margins, noMargins);
        } finally {
            model.train(training);
        }
    }

    /** Linear-interpolated percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        double pos = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    private static double logitGradNorm(Layer model, Tensor x, int[] y) {
        try (var ignored = Autodiff.enableGrad()) {
            Var xv = Var.param(x);
            Var out = model.forward(xv);
            int c = out.shape()[1];
            double[] f = out.value().toDoubleArray();
            Tensor seed = Tensor.zerosLike(out.value());
            double[] s = new double[f.length];
            for (int i = 0; i < y.length; i++) {
                int rival = -1;
                for (int k = 0; k < c; k++) {
                    if (k != y[i] && (rival < 0 || f[i * c + k] > f[i * c + rival])) {
                        rival = k;
                    }
                }
                if (rival >= 0) {
                    s[i * c + y[i]] = 1;
                    s[i * c + rival] = -1;
                }
            }
            seed = Tensor.of(s, out.shape()).to(x.dtype());
            Tensor g = Autodiff.grad(out, List.of(xv), Var.of(seed), false).get(0).value();
            return InputGrads.rowNorms(g, 2).max().item();
        }
    }

    /** {@code maxᵢ σ_max(J(xᵢ))} by power iteration {@code v ← JᵀJv/‖JᵀJv‖} per example (J v by double-vjp). */
    public static double jacobianNorm(Layer model, Tensor x, int iterations) {
        try (var ignored = Autodiff.enableGrad()) {
            Var xv = Var.param(x);
            Var out = model.forward(xv);
            Var u = Var.param(Tensor.zerosLike(out.value()));
            Var jtu = Autodiff.grad(out, List.of(xv), u, true).get(0);
            Tensor v = InputGrads.randomDirections(new dev.jacobi.core.Rng(11), x);
            Tensor jv = null;
            for (int it = 0; it <= iterations; it++) {
                jv = Autodiff.grad(jtu.mul(Var.of(v)).sum(), List.of(u), null, false).get(0).value();
                Tensor jtjv = Autodiff.grad(out, List.of(xv), Var.of(jv), false).get(0).value();
                v = InputGrads.normalizeRows(jtjv);
            }
            jv = Autodiff.grad(jtu.mul(Var.of(v)).sum(), List.of(u), null, false).get(0).value();
            return InputGrads.rowNorms(jv, 2).max().item();
        }
    }
}
