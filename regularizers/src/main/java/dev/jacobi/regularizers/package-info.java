/**
 * Regularizers and Lipschitz tools built on the autodiff. Spectral side (upper bounds of the RKHS norm):
 * {@link dev.jacobi.regularizers.SpectralNorm} (power iteration on a matrix or a convolution operator),
 * {@link dev.jacobi.regularizers.ConvSpectralNorm} (exact circular spectrum, Singla–Feizi's four bounds),
 * {@link dev.jacobi.regularizers.SpectralNormalization}, the penalties {@link dev.jacobi.regularizers.SpectralPenalty}
 * and {@link dev.jacobi.regularizers.ConvBoundPenalty}, the constraint
 * {@link dev.jacobi.regularizers.SpectralProjection} and the network bound
 * {@link dev.jacobi.regularizers.LipschitzBound}.
 */
package dev.jacobi.regularizers;
