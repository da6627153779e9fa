/**
 * Linear algebra in float64: {@link dev.jacobi.core.linalg.Linalg} (symmetric eigendecomposition, SVD, QR, the
 * spectral norm), {@link dev.jacobi.core.linalg.Fft} (1-D and 2-D complex FFTs of any size) and
 * {@link dev.jacobi.core.linalg.ConvSpectra} (the per-frequency spectrum of a circular convolution, its exact
 * operator norm, singular values and clipping).
 */
package dev.jacobi.core.linalg;
