package dev.jacobi.core.blas;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.CachingAllocator;

/**
 * A flat array of one element type, the storage below {@code Tensor} (the typed operand of BLAS-style calls): {@link F32} or {@link F64}. Kernels that run on
 * either type take a {@code Buf} and let it dispatch, instead of testing an {@code Object} for {@code float[]}.
 * Every method with a second buffer requires it to be of the same type.
 */
public sealed interface Buf permits Buf.F32, Buf.F64 {
    /** A float32 array. */
    record F32(float[] a) implements Buf {
        @Override
        public double get(int i) {
            return a[i];
        }

        @Override
        public void set(int i, double v) {
            a[i] = (float) v;
        }

        @Override
        public void add(int i, double v) {
            a[i] = (float) (a[i] + v);
        }

        @Override
        public Buf alloc(int n) {
            return new F32(CachingAllocator.zeroFloats(n));
        }

        @Override
        public void gemm(boolean ta, boolean tb, int m, int n, int k, int ao, int lda, Buf b, int bo, int ldb,
                         boolean accumulate, Buf c, int co, int ldc) {
            Gemm.sgemm(ta, tb, m, n, k, 1f, a, ao, lda, ((F32) b).a, bo, ldb, accumulate ? 1f : 0f, ((F32) c).a, co,
                    ldc);
        }

        @Override
        public void addInto(Buf b, int n) {
            Backend.KERNELS.axpy(1f, ((F32) b).a, 0, a, 0, n);
        }

        @Override
        public void addRowBias(int yo, Buf b, int bo, int rows, int len) {
            float[] bf = ((F32) b).a;
            for (int r = 0, p = yo; r < rows; r++, p += len) {
                float v = bf[bo + r];
                for (int j = p; j < p + len; j++) {
                    a[j] += v;
                }
            }
        }

        @Override
        public void gather(int base, int[] tab, int t0, int n, Buf dst, int d) {
            float[] out = ((F32) dst).a;
            for (int i = t0; i < t0 + n; i++) {
                out[d + i] = tab[i] < 0 ? 0f : a[base + tab[i]];
            }
        }

        @Override
        public void scatterAdd(int base, int[] tab, int t0, int n, Buf src, int d) {
            float[] in = ((F32) src).a;
            for (int i = t0; i < t0 + n; i++) {
                if (tab[i] >= 0) {
                    a[base + tab[i]] += in[d + i];
                }
            }
        }
    }

    /** A float64 array: the verification path, on the generic bodies of {@link Buf}. */
    record F64(double[] a) implements Buf {
        @Override
        public double get(int i) {
            return a[i];
        }

        @Override
        public void set(int i, double v) {
            a[i] = v;
        }

        @Override
        public void add(int i, double v) {
            a[i] += v;
        }

        @Override
        public Buf alloc(int n) {
            return new F64(CachingAllocator.zeroDoubles(n));
        }

        @Override
        public void gemm(boolean ta, boolean tb, int m, int n, int k, int ao, int lda, Buf b, int bo, int ldb,
                         boolean accumulate, Buf c, int co, int ldc) {
            Gemm.dgemm(ta, tb, m, n, k, 1.0, a, ao, lda, ((F64) b).a, bo, ldb, accumulate ? 1 : 0, ((F64) c).a, co,
                    ldc);
        }
    }

    /** A fresh zero-filled buffer of the same type with {@code n} elements. */
    Buf alloc(int n);

    /**
     * {@code C = op(A)·op(B)} (plus {@code C} when {@code accumulate}) with this buffer as {@code A}, through
     * {@link Gemm}; see there for the layout arguments.
     */
    void gemm(boolean ta, boolean tb, int m, int n, int k, int ao, int lda, Buf b, int bo, int ldb, boolean accumulate,
              Buf c, int co, int ldc);

    /** Element {@code i}, widened to double. */
    double get(int i);

    /** {@code this[i] = v}, rounded to the element type. */
    void set(int i, double v);

    /** {@code this[i] += v}, rounded to the element type. */
    void add(int i, double v);

    /** {@code this[i] += b[i]} for {@code i < n}. */
    default void addInto(Buf b, int n) {
        for (int i = 0; i < n; i++) {
            add(i, b.get(i));
        }
    }

    /** {@code this[yo + r·len + j] += b[bo + r]} for {@code r < rows}, {@code j < len}. */
    default void addRowBias(int yo, Buf b, int bo, int rows, int len) {
        for (int r = 0, p = yo; r < rows; r++, p += len) {
            double v = b.get(bo + r);
            for (int j = p; j < p + len; j++) {
                add(j, v);
            }
        }
    }

    /** {@code dst[d + i] = this[base + tab[i]]}, or 0 where {@code tab[i] < 0}, for {@code i} in {@code [t0, t0 + n)}. */
    default void gather(int base, int[] tab, int t0, int n, Buf dst, int d) {
        for (int i = t0; i < t0 + n; i++) {
            dst.set(d + i, tab[i] < 0 ? 0 : get(base + tab[i]));
        }
    }

    /** The adjoint of {@link #gather}: {@code this[base + tab[i]] += src[d + i]} where {@code tab[i] ≥ 0}. */
    default void scatterAdd(int base, int[] tab, int t0, int n, Buf src, int d) {
        for (int i = t0; i < t0 + n; i++) {
            if (tab[i] >= 0) {
                add(base + tab[i], src.get(d + i));
            }
        }
    }
}
