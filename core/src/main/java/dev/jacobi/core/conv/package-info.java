/**
 * Internal: the convolution kernels on {@link dev.jacobi.core.blas.Dense} arrays. The checked, public entry point is
 * {@code dev.jacobi.core.Conv}. {@link dev.jacobi.core.conv.Convolution} lowers to GEMM (im2col per cache-sized
 * tile); {@code ShiftedConvolution} runs float32 stride-1 convolutions on shifted rows of a padded copy, without
 * lowering.
 */
package dev.jacobi.core.conv;
