package dev.jacobi.core;

import java.util.Arrays;
import java.util.function.DoubleSupplier;

/**
 * The bodies of {@link Tensor}'s factories that check or fill their result: of, full, arange, eye, rand, randn and
 * oneHot. Each fills a fresh contiguous tensor in row-major order.
 */
final class Factories {
    private Factories() {
    }

    private static int checkFill(int length, int[] shape) {
        int n = Shapes.numel(shape, "Tensor.of");
        if (length != n) {
            throw new IllegalArgumentException("Tensor.of: " + length + " values do not fill shape "
                    + Shapes.str(shape) + " (" + n + " elements)");
        }
        return n;
    }

    /** The body of {@link Tensor#of(float[], int...)}. */
    static Tensor of(float[] data, int... shape) {
        int[] s = shape.length == 0 && data.length != 1 ? new int[] {data.length} : shape;
        checkFill(data.length, s);
        return Tensor.wrap(data.clone(), s);
    }

    /** The body of {@link Tensor#of(double[], int...)}. */
    static Tensor of(double[] data, int... shape) {
        int[] s = shape.length == 0 && data.length != 1 ? new int[] {data.length} : shape;
        checkFill(data.length, s);
        return Tensor.wrap(data.clone(), s);
    }

    /** The body of {@link Tensor#full(DType, double, int...)}. */
    static Tensor full(DType dtype, double value, int... shape) {
        Tensor t = Tensor.empty(dtype, shape);
        if (value != 0) {
            if (dtype == DType.FLOAT32) {
                Arrays.fill(t.f(), (float) value);
            } else {
                Arrays.fill(t.d(), value);
            }
        }
        return t;
    }

    /** The body of {@link Tensor#arange(DType, double, double, double)}. */
    static Tensor arange(DType dtype, double start, double end, double step) {
        if (step == 0 || !Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: bad range start=" + start + " end=" + end + " step=" + step);
        }
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + i * step;
        }
        Tensor t = Tensor.wrap(v, n);
        return dtype == DType.FLOAT64 ? t : t.to(DType.FLOAT32);
    }

    /** The body of {@link Tensor#eye}. */
    static Tensor eye(DType dtype, int n) {
        Tensor t = Tensor.empty(dtype, new int[] {n, n});
        for (int i = 0; i < n; i++) {
            t.setFlat(i * n + i, 1);
        }
        return t;
    }

    /** The body of {@link Tensor#rand(Rng, DType, int...)}. */
    static Tensor rand(Rng rng, DType dtype, int... shape) {
        return fill(dtype, shape, rng::nextDouble);
    }

    /** The body of {@link Tensor#randn(Rng, DType, int...)}. */
    static Tensor randn(Rng rng, DType dtype, int... shape) {
        return fill(dtype, shape, rng::nextGaussian);
    }

    /** A fresh tensor whose elements, in row-major order, are successive values of {@code next}. */
    private static Tensor fill(DType dtype, int[] shape, DoubleSupplier next) {
        Tensor t = Tensor.empty(dtype, shape);
        for (int i = 0; i < t.numel(); i++) {
            t.setFlat(i, next.getAsDouble());
        }
        return t;
    }

    /** The body of {@link Tensor#oneHot(int[], int, DType)}. */
    static Tensor oneHot(int[] labels, int numClasses, DType dtype) {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("oneHot: numClasses must be positive, got " + numClasses);
        }
        Tensor t = Tensor.empty(dtype, new int[] {labels.length, numClasses});
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("oneHot: label " + labels[i] + " at position " + i
                        + " is outside [0, " + numClasses + ")");
            }
            t.setFlat(i * numClasses + labels[i], 1);
        }
        return t;
    }
}
