package dev.jacobi.core.kernel;

import java.util.Arrays;

/** Shape arithmetic shared by the tensor ops: element counts, strides, broadcasting and dim checks. */
public final class Dims {
    private Dims() {
    }

    /** Number of elements of {@code shape}; throws if a size is negative or the count overflows an int. */
    public static int numel(int[] shape, String op) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException(op + ": negative size in shape " + str(shape));
            }
            n *= s;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(op + ": shape " + str(shape) + " has more than 2^31 elements");
            }
        }
        return (int) n;
    }

    /** Row-major (C order) strides of {@code shape}. */
    public static int[] contiguousStrides(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return st;
    }

    /** NumPy broadcast of two shapes; throws naming {@code op} and both shapes when they do not broadcast. */
    public static int[] broadcast(int[] a, int[] b, String op) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes do not broadcast: " + str(a) + " and " + str(b));
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** A dim index in {@code [-rank, rank)} turned into {@code [0, rank)}, or an error naming {@code op}. */
    public static int dim(int dim, int rank, String op) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException(op + ": dim " + dim + " out of range for a tensor of rank " + rank);
        }
        return d;
    }

    /** {@code [2, 3]} style text of a shape. */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
