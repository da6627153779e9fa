package dev.jacobi.regularizers.attacks;

import dev.jacobi.core.Batch;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.inputspace.InputLoss;

/**
 * PGD robust optimisation (Madry et al.) as a batch transform: {@code min_θ E max_{‖δ‖≤ε} ℓ(f(x+δ), y)}, the inner
 * max approximated by {@link Attacks#pgd} and the outer step taken on the adversarial batch. Plug
 * {@code adv::transform} into the trainer's batch-transform hook {@code (model, batch, step) -> batch}. The attack is
 * run with the model in evaluation mode (so Dropout and BatchNorm statistics are not disturbed) and the mode is
 * restored; its seed is mixed with the step, so a run is deterministic.
 */
public final class AdversarialTraining {
    private final Attacks.Pgd attack;
    private final InputLoss loss;

    /** Adversarial training with the given attack and per-example loss. */
    public AdversarialTraining(Attacks.Pgd attack, InputLoss loss) {
        if (attack == null || loss == null) {
            throw new IllegalArgumentException("AdversarialTraining: attack and loss must not be null");
        }
        this.attack = attack;
        this.loss = loss;
    }

    /** PGD-ℓ2 training on cross-entropy, data in [0, 1], step {@code 2.5ε/steps}, random start. */
    public static AdversarialTraining pgdL2(double eps, int steps) {
        return new AdversarialTraining(Attacks.Pgd.l2(eps, steps), InputLoss.crossEntropy());
    }

    /** PGD-ℓ∞ training on cross-entropy, data in [0, 1], step {@code 2.5ε/steps}, random start. */
    public static AdversarialTraining pgdLinf(double eps, int steps) {
        return new AdversarialTraining(Attacks.Pgd.linf(eps, steps), InputLoss.crossEntropy());
    }

    /** The attack. */
    public Attacks.Pgd attack() {
        return attack;
    }

    /**
     * The batch with {@code x} replaced by its PGD adversarial examples {@code x + δ*} (labels unchanged).
     *
     * @param model the model being trained
     * @param batch the clean batch
     * @param step  the optimizer step, mixed into the attack's seed
     * @return the adversarial batch
     */
    public Batch transform(Layer model, Batch batch, long step) {
        boolean training = model.isTraining();
        model.eval();
        try {
            return new Batch(Attacks.pgd(model, batch.x(), batch.y(), attack.withSeed(attack.seed() * 31 + step),
                    loss), batch.y());
        } finally {
            model.train(training);
        }
    }
}
