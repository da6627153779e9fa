/**
 * Spectral norms and what is built on them (Bietti et al. 2019, Singla &amp; Feizi 2021): power iteration on a matrix
 * or a convolution operator ({@link dev.jacobi.regularizers.spectral.SpectralNorm}), the exact circular spectrum and
 * the four bounds of a convolution ({@link dev.jacobi.regularizers.spectral.ConvSpectralNorm}),
 * {@link dev.jacobi.regularizers.spectral.SpectralNormalization}, the penalties
 * {@link dev.jacobi.regularizers.spectral.SpectralPenalty} and
 * {@link dev.jacobi.regularizers.spectral.ConvBoundPenalty}, the constraint
 * {@link dev.jacobi.regularizers.spectral.SpectralProjection}, and the network bound
 * {@link dev.jacobi.regularizers.spectral.LipschitzBound} over layers that declare their constant
 * ({@link dev.jacobi.regularizers.spectral.LipschitzLayer}).
 */
package dev.jacobi.regularizers.spectral;
