/**
 * Tensor files: NumPy {@code .npy} ({@link dev.jacobi.core.io.Npy}), Hugging Face {@code safetensors}
 * ({@link dev.jacobi.core.io.Safetensors}) and all-or-nothing writes ({@link dev.jacobi.core.io.AtomicFiles}).
 * Readers are strict and bounded: malformed or hostile files fail with an {@link java.io.IOException} naming the
 * file, field and value, and no size read from a file is allocated before it is checked against the bytes present.
 */
package dev.jacobi.core.io;
