/**
 * Internal: GEMM ({@link dev.jacobi.core.blas.Gemm}, with its scalar and Vector API micro-kernels) and the storage
 * types below {@code Tensor}: {@link dev.jacobi.core.blas.Buf}, a flat float32 or float64 array that dispatches the
 * kernels for its element type, and {@link dev.jacobi.core.blas.Dense}, a contiguous array with its shape.
 */
package dev.jacobi.core.blas;
