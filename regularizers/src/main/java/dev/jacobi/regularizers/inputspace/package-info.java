/**
 * Penalties on the model's behaviour around its inputs (Bietti et al. 2019, Mustafa et al. 2020): the input-gradient
 * norm ({@link dev.jacobi.regularizers.inputspace.GradientPenalty}), the adversarial lower bound
 * {@code ‖f‖²_δ} ({@link dev.jacobi.regularizers.inputspace.AdversarialPenalty}), the deformation penalty
 * ({@link dev.jacobi.regularizers.inputspace.DeformationPenalty}) and the input-Hessian operator norm
 * ({@link dev.jacobi.regularizers.inputspace.HessianNormPenalty}), with the per-example input gradients they share
 * ({@link dev.jacobi.regularizers.inputspace.InputGrads}).
 */
package dev.jacobi.regularizers.inputspace;
