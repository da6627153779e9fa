package dev.jacobi.core;

import dev.jacobi.core.kernel.Dims;

/** Shape arithmetic shared by the tensor ops: element counts, strides, broadcasting and dim checks. */
public final class Shapes {
    private Shapes() {
    }

    /** Number of elements of {@code shape}; throws if a size is negative or the count overflows an int. */
    public static int numel(int[] shape, String op) {
        return Dims.numel(shape, op);
    }

    /** Row-major (C order) strides of {@code shape}. */
    public static int[] contiguousStrides(int[] shape) {
        return Dims.contiguousStrides(shape);
    }

    /** NumPy broadcast of two shapes; throws naming {@code op} and both shapes when they do not broadcast. */
    public static int[] broadcast(int[] a, int[] b, String op) {
        return Dims.broadcast(a, b, op);
    }

    /** {@code dim} normalised to {@code [0, rank)} (negative counts from the end); throws naming {@code op}. */
    public static int dim(int dim, int rank, String op) {
        return Dims.dim(dim, rank, op);
    }

    /** {@code [2, 3, 4]}-style text of a shape. */
    public static String str(int[] shape) {
        return Dims.str(shape);
    }
}
