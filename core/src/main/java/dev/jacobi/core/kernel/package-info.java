/**
 * Internal: the element-wise kernels below {@code Tensor}, not part of the API. {@link dev.jacobi.core.kernel.Kernels}
 * (element-wise ops, reductions, dots, pooling) has a plain-Java twin ({@code ScalarKernels}) and a Vector API one
 * ({@code VectorKernels}); {@link dev.jacobi.core.kernel.Backend} is the one place that chooses between them and
 * says why it fell back. {@link dev.jacobi.core.kernel.Workers} is the thread pool, {@code Strided} plans strided
 * loops, {@link dev.jacobi.core.kernel.Dims} does shape arithmetic, {@link dev.jacobi.core.kernel.Alignment} says
 * where a float array's data start relative to a cache line. Nothing here names a class of
 * {@code dev.jacobi.core}.
 */
package dev.jacobi.core.kernel;
