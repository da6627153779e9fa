/**
 * Optimisers on {@link dev.jacobi.nn.Parameter}s with PyTorch's exact updates ({@link dev.jacobi.optim.SGD},
 * {@link dev.jacobi.optim.Adam}, {@link dev.jacobi.optim.AdamW}), per-epoch learning-rate schedules and gradient
 * clipping.
 */
package dev.jacobi.optim;
