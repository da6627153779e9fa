package dev.jacobi.core.blas;

import dev.jacobi.core.kernel.Dims;

/**
 * A row-major array below {@code Tensor}: the elements of {@code shape} start at {@code offset} of {@code data}
 * without gaps. The convolution, pooling and padding kernels take and return it; {@code Tensor} wraps it.
 */
public record Dense(Buf data, int offset, int[] shape) {
    /** A fresh zero-filled array of the same element type as {@code like}. */
    public static Dense zeros(Buf like, int[] shape, String op) {
        return new Dense(like.alloc(Dims.numel(shape, op)), 0, shape);
    }

    /** A float32 array wrapping {@code a} (not copied). */
    public static Dense of(float[] a, int... shape) {
        return new Dense(new Buf.F32(a), 0, shape);
    }

    /** Whether the elements are float32. */
    public boolean isFloat() {
        return data instanceof Buf.F32;
    }

    /** The float32 array (for float32-only kernels). */
    public float[] floats() {
        return ((Buf.F32) data).a();
    }

    /** Size of dim {@code i}. */
    public int size(int i) {
        return shape[i];
    }
}
