/**
 * Networks that are 1-Lipschitz by construction (Li et al. 2019): Björck orthogonalisation
 * ({@link dev.jacobi.regularizers.lipschitz.Bjorck}, {@link dev.jacobi.regularizers.lipschitz.BjorckLinear}), block
 * convolution orthogonal parameterisation ({@link dev.jacobi.regularizers.lipschitz.BcopConv2d}), the gradient-norm
 * preserving activations {@link dev.jacobi.regularizers.lipschitz.GroupSort} and
 * {@link dev.jacobi.regularizers.lipschitz.MaxMin}, invertible down- and upsampling, the multi-class hinge loss,
 * certified accuracy ({@link dev.jacobi.regularizers.lipschitz.Certify}) and Wasserstein-distance estimation.
 */
package dev.jacobi.regularizers.lipschitz;
