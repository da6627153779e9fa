package dev.jacobi.cli.spec;

import dev.jacobi.regularizers.attacks.AdversarialTraining;
import dev.jacobi.regularizers.inputspace.AdversarialPenalty;
import dev.jacobi.regularizers.inputspace.DeformationPenalty;
import dev.jacobi.regularizers.inputspace.GradientPenalty;
import dev.jacobi.regularizers.inputspace.HessianNormPenalty;
import dev.jacobi.regularizers.inputspace.InputLoss;
import dev.jacobi.regularizers.lipschitz.MultiMarginLoss;
import dev.jacobi.regularizers.roll.Roll;
import dev.jacobi.regularizers.spectral.ConvBoundPenalty;
import dev.jacobi.regularizers.spectral.GramPenalty;
import dev.jacobi.regularizers.spectral.SpectralPenalty;
import dev.jacobi.regularizers.spectral.SpectralProjection;
import dev.jacobi.train.Trainer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every regularizer, constraint and training mode the CLI's {@code --reg NAME=λ[,key=value…]} accepts. For
 * penalties λ is the weight; for constraints it is the radius; for {@code pgd} it is ε.
 */
public final class Regs {
    /** Name → one-line help, in the order {@code --help} lists them. */
    public static final Map<String, String> HELP = new LinkedHashMap<>();

    static {
        HELP.put("grad-l2", "λ·mean ‖∇ₓℓ‖₂² (Bietti's first-order robust optimisation)");
        HELP.put("grad-l1", "λ·mean ‖∇ₓℓ‖₁");
        HELP.put("grad-sup", "λ·Σ_k max_i ‖∇ₓ f_k(x_i)‖² (Bietti's gradient-norm penalty)");
        HELP.put("wgan-gp", "λ·(‖∇ₓ f(x̂)‖ − 1)² on interpolates");
        HELP.put("adv", "λ·‖f‖_δ² adversarial perturbation penalty; eps=0.5, steps=5");
        HELP.put("deform", "λ·‖f‖_τ² adversarial deformation penalty; eps=0.3, steps=5");
        HELP.put("hessian", "λ·|vᵀ∇²ₓℓ v| input-Hessian operator norm; k=5, sub=32, mode=exact|fd");
        HELP.put("roll", "λ·ROLL relaxed locally-linear penalty; c=0.25");
        HELP.put("spectral", "λ·Σ σ(W)²; estimate=reshaped|operator|four");
        HELP.put("conv-bound", "λ·Σ conv layers √(hw)·min(R,S,T,U) (Fantastic Four)");
        HELP.put("gram", "λ·Σ conv and linear layers' Gram-iteration bound (Delattre et al. 2023); steps=6");
        HELP.put("sn-clip", "constraint: clip reshaped singular values to λ(1+4e^(−epoch/κ)); kappa=2");
        HELP.put("sn-operator", "constraint: W ← W/max(1, σ_op(W)/λ) with the true conv operator norm (Gouk)");
        HELP.put("proj-l1", "constraint: exact ℓ1 operator norm ≤ λ");
        HELP.put("proj-linf", "constraint: exact ℓ∞ operator norm ≤ λ");
        HELP.put("pgd", "PGD adversarial training at ε = λ; steps=7, norm=l2|linf");
        HELP.put("hinge", "loss: multi-class hinge with margin √2·λ (certifies ℓ2 radius λ on a 1-Lipschitz model)");
    }

    private Regs() {
    }

    static String names() {
        return String.join(", ", HELP.keySet());
    }

    /** The {@code key=value} settings each name takes; the others take none. */
    static final Map<String, List<String>> KEYS = Map.of("adv", List.of("eps", "steps"), "deform",
            List.of("eps", "steps"), "hessian", List.of("k", "sub", "mode"), "roll", List.of("c"), "spectral",
            List.of("estimate"), "sn-clip", List.of("kappa"), "pgd", List.of("steps", "norm"));

    /** Checks the name and every key of {@code spec}, before any work starts. */
    public static void check(RegSpec spec) {
        if (!HELP.containsKey(spec.name())) {
            throw new IllegalArgumentException("unknown regularizer '" + spec.name() + "'; choose one of " + names());
        }
        List<String> keys = KEYS.getOrDefault(spec.name(), List.of());
        for (String k : spec.params().keySet()) {
            if (!keys.contains(k)) {
                throw new IllegalArgumentException("--reg " + spec.name() + ": unknown key '" + k + "'; " + spec.name()
                        + (keys.isEmpty() ? " takes no keys" : " takes " + String.join(", ", keys)));
            }
        }
    }

    /** Adds {@code spec} to the trainer being built, for inputs of per-example shape {@code inputShape}. */
    public static void apply(RegSpec spec, Trainer.Builder b, int[] inputShape, long seed) {
        check(spec);
        double l = spec.lambda();
        switch (spec.name()) {
            case "grad-l2" -> b.regularizer(l, new GradientPenalty(GradientPenalty.Kind.GRAD_L2));
            case "grad-l1" -> b.regularizer(l, new GradientPenalty(GradientPenalty.Kind.GRAD_L1));
            case "grad-sup" -> b.regularizer(l, new GradientPenalty(GradientPenalty.Kind.SUP_CLASS));
            case "wgan-gp" -> b.regularizer(l, new GradientPenalty(GradientPenalty.Kind.WGAN_GP,
                    InputLoss.crossEntropy(), seed));
            case "adv" -> b.regularizer(l, new AdversarialPenalty(spec.num("eps", 0.5), spec.integer("steps", 5)));
            case "deform" -> b.regularizer(l, new DeformationPenalty(spec.num("eps", 0.3), 3, spec.integer("steps", 5)));
            case "hessian" -> b.regularizer(l, new HessianNormPenalty(spec.integer("k", 5), spec.integer("sub", 32),
                    "fd".equals(spec.choice("mode", "exact", "fd")) ? HessianNormPenalty.Mode.FINITE_DIFFERENCE
                            : HessianNormPenalty.Mode.EXACT));
            case "roll" -> b.regularizer(l, new Roll(spec.num("c", 0.25), Roll.Method.PERTURBATION));
            case "spectral" -> b.regularizer(l, new SpectralPenalty(switch (spec.choice("estimate", "reshaped",
                    "operator", "four")) {
                case "operator" -> SpectralPenalty.Estimate.OPERATOR;
                case "four" -> SpectralPenalty.Estimate.FANTASTIC_FOUR;
                default -> SpectralPenalty.Estimate.RESHAPED;
            }, 1, seed));
            case "conv-bound" -> b.regularizer(l, new ConvBoundPenalty(1, seed));
            case "gram" -> b.regularizer(l, new GramPenalty(spec.integer("steps", 6)));
            case "sn-clip" -> b.constraint(SpectralProjection.clipReshaped(l, spec.num("kappa", 2)));
            case "sn-operator" -> b.constraint(SpectralProjection.operatorNorm(l, inputShape, 5, seed));
            case "proj-l1" -> b.constraint(SpectralProjection.l1(l));
            case "proj-linf" -> b.constraint(SpectralProjection.lInf(l));
            case "pgd" -> {
                int steps = spec.integer("steps", 7);
                AdversarialTraining adv = "linf".equals(spec.choice("norm", "l2", "linf"))
                        ? AdversarialTraining.pgdLinf(l, steps) : AdversarialTraining.pgdL2(l, steps);
                b.batchTransform(adv::transform);
            }
            case "hinge" -> b.loss(new MultiMarginLoss(l, 1)::forward);
            default -> throw new IllegalArgumentException("unknown regularizer '" + spec.name() + "'; choose one of "
                    + names());
        }
    }

}
