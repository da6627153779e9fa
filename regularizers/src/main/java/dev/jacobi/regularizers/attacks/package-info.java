/**
 * Attacks and robustness measurements: PGD and FGSM in ℓ2 and ℓ∞ ({@link dev.jacobi.regularizers.attacks.Attacks}),
 * adversarial training ({@link dev.jacobi.regularizers.attacks.AdversarialTraining}), and a robustness report
 * (accuracy under attack, input-gradient and Jacobian norms, Hessian eigenvalues, ROLL margins;
 * {@link dev.jacobi.regularizers.attacks.Robustness}).
 */
package dev.jacobi.regularizers.attacks;
