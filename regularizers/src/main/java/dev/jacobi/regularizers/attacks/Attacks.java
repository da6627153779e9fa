package dev.jacobi.regularizers.attacks;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.inputspace.InputGrads;
import dev.jacobi.regularizers.inputspace.InputLoss;

/**
 * Input-space attacks that ascend the loss inside a norm ball intersected with the data range:
 * FGSM {@code x' = clamp(x + ε·sign ∇ₓℓ)}, and PGD {@code δ ← Π_{‖δ‖≤ε}(δ + α·d(∇ₓℓ))} with
 * {@code d = g/‖g‖₂} (ℓ2) or {@code sign g} (ℓ∞), from a random start, then {@code x' = clamp(x + δ, lo, hi)}.
 * Batched (one backward per step for the whole batch, as the examples do not interact) and deterministic given the
 * seed. The model's parameters get no gradient.
 */
public final class Attacks {
    private Attacks() {
    }

    /** The threat model's norm. */
    public enum Norm {
        /** Euclidean ball {@code ‖δ‖₂ ≤ ε}. */
        L2,
        /** Box {@code ‖δ‖∞ ≤ ε}. */
        LINF
    }

    /**
     * A PGD configuration.
     *
     * @param norm        ℓ2 or ℓ∞ ball
     * @param eps         radius {@code ε ≥ 0}
     * @param stepSize    step {@code α > 0}
     * @param steps       number of steps {@code ≥ 0} (0 with a random start is random noise)
     * @param randomStart start from a uniform point of the ball instead of {@code x}
     * @param lo          lower end of the data range
     * @param hi          upper end of the data range
     * @param seed        seed of the random start
     */
    public record Pgd(Norm norm, double eps, double stepSize, int steps, boolean randomStart, double lo, double hi,
                      long seed) {
        /** Validates the configuration. */
        public Pgd {
            if (norm == null || !(eps >= 0) || !(stepSize > 0) || steps < 0 || !(lo < hi)) {
                throw new IllegalArgumentException("Attacks.Pgd: want a norm, eps >= 0, stepSize > 0, steps >= 0 and "
                        + "lo < hi, got norm=" + norm + ", eps=" + eps + ", stepSize=" + stepSize + ", steps=" + steps
                        + ", lo=" + lo + ", hi=" + hi);
            }
        }

        /** PGD-ℓ2 on data in [0, 1] with step {@code 2.5·ε/steps} and a random start (Madry et al.'s defaults). */
        public static Pgd l2(double eps, int steps) {
            return new Pgd(Norm.L2, eps, 2.5 * Math.max(eps, 1e-12) / Math.max(1, steps), steps, true, 0, 1, 0);
        }

        /** PGD-ℓ∞ on data in [0, 1] with step {@code 2.5·ε/steps} and a random start. */
        public static Pgd linf(double eps, int steps) {
            return new Pgd(Norm.LINF, eps, 2.5 * Math.max(eps, 1e-12) / Math.max(1, steps), steps, true, 0, 1, 0);
        }

        /** The same attack with another seed. */
        public Pgd withSeed(long s) {
            return new Pgd(norm, eps, stepSize, steps, randomStart, lo, hi, s);
        }
    }

    /** FGSM, one ℓ∞ step {@code x' = clamp(x + ε·sign ∇ₓℓ, lo, hi)} of cross-entropy. */
    public static Tensor fgsm(Layer model, Tensor x, int[] y, double eps, double lo, double hi) {
        return pgd(model, x, y, new Pgd(Norm.LINF, eps, Math.max(eps, 1e-12), 1, false, lo, hi, 0),
                InputLoss.crossEntropy());
    }

    /** PGD on cross-entropy. */
    public static Tensor pgd(Layer model, Tensor x, int[] y, Pgd cfg) {
        return pgd(model, x, y, cfg, InputLoss.crossEntropy());
    }

    /**
     * PGD ascending {@code Σᵢ loss(f(xᵢ + δᵢ), yᵢ)}; returns {@code x + δ}, within {@code ε} of {@code x} in the chosen
     * norm and inside {@code [lo, hi]}.
     *
     * @param model the model (used as it is: call {@code eval()} first for evaluation)
     * @param x     clean inputs {@code [N, …]}, inside {@code [lo, hi]}
     * @param y     labels
     * @param cfg   the attack
     * @param loss  the per-example loss to ascend
     * @return the adversarial inputs, same shape and dtype as {@code x}
     */
    public static Tensor pgd(Layer model, Tensor x, int[] y, Pgd cfg, InputLoss loss) {
        InputGrads.checkBatch("pgd", x, y);
        double xmin = x.min().item();
        double xmax = x.max().item();
        if (xmin < cfg.lo() || xmax > cfg.hi()) {
            throw new IllegalArgumentException("pgd: inputs span [" + xmin + ", " + xmax + "], outside the data range ["
                    + cfg.lo() + ", " + cfg.hi() + "]");
        }
        Rng rng = new Rng(cfg.seed());
        Tensor delta = Tensor.zerosLike(x);
        if (cfg.randomStart() && cfg.eps() > 0) {
            delta = randomInBall(rng, x, cfg.norm(), cfg.eps());
            delta = x.add(delta).clamp(cfg.lo(), cfg.hi()).sub(x);
        }
        for (int it = 0; it < cfg.steps(); it++) {
            Tensor g = InputGrads.lossGrad(model, x.add(delta), y, loss);
            Tensor step = cfg.norm() == Norm.L2 ? InputGrads.normalizeRows(g) : g.sign();
            delta = delta.add(step.mul(cfg.stepSize()));
            delta = cfg.norm() == Norm.L2 ? InputGrads.projectL2(delta, cfg.eps())
                    : delta.clamp(-cfg.eps(), cfg.eps());
            delta = x.add(delta).clamp(cfg.lo(), cfg.hi()).sub(x);
        }
        return x.add(delta).clamp(cfg.lo(), cfg.hi());
    }

    /** Uniform samples of the ε-ball: {@code U[-ε, ε]} per coordinate (ℓ∞) or direction·{@code ε·u^{1/d}} (ℓ2). */
    static Tensor randomInBall(Rng rng, Tensor x, Norm norm, double eps) {
        if (norm == Norm.LINF) {
            return Tensor.rand(rng, x.dtype(), x.shape()).mul(2 * eps).sub(eps);
        }
        int n = x.shape()[0];
        int d = x.numel() / Math.max(1, n);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = eps * Math.pow(rng.nextDouble(), 1.0 / d);
        }
        return InputGrads.randomDirections(rng, x).mul(Tensor.of(r, InputGrads.rowShape(x.shape())).to(x.dtype()));
    }

    /** The fraction of examples whose arg-max logit equals the label, computed without a graph. */
    public static double accuracy(Layer model, Tensor x, int[] y) {
        InputGrads.checkBatch("accuracy", x, y);
        try (var ignored = Autodiff.noGrad()) {
            int[] pred = model.forward(Var.of(x)).value().argmax(1);
            int ok = 0;
            for (int i = 0; i < y.length; i++) {
                ok += pred[i] == y[i] ? 1 : 0;
            }
            return (double) ok / y.length;
        }
    }
}
