package dev.jacobi.core.kernel;

/**
 * Iteration over several strided operands of one shape, in row-major order, one innermost run at a time.
 * Dims of size one are dropped and adjacent dims that are contiguous for every operand are merged, so a
 * contiguous tensor is a single run.
 */
public final class Strided {
    /** Receives the operands' offsets at the start of a run of {@code n} elements. */
    public interface Body {
        void run(int[] offsets, int n);
    }

    final int[] shape;
    final int[][] strides;

    private Strided(int[] shape, int[][] strides) {
        this.shape = shape;
        this.strides = strides;
    }

    /** Merges the dims of {@code shape} for the operands with the given strides. */
    public static Strided plan(int[] shape, int[]... strides) {
        int k = strides.length;
        int[] sh = new int[shape.length];
        int[][] st = new int[k][shape.length];
        int r = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            boolean merge = r > 0;
            for (int j = 0; j < k && merge; j++) {
                merge = st[j][r - 1] == strides[j][d] * shape[d];
            }
            if (merge) {
                sh[r - 1] *= shape[d];
                for (int j = 0; j < k; j++) {
                    st[j][r - 1] = strides[j][d];
                }
            } else {
                sh[r] = shape[d];
                for (int j = 0; j < k; j++) {
                    st[j][r] = strides[j][d];
                }
                r++;
            }
        }
        if (r == 0) {
            return new Strided(new int[] {1}, new int[k][1]);
        }
        int[][] st2 = new int[k][];
        for (int j = 0; j < k; j++) {
            st2[j] = java.util.Arrays.copyOf(st[j], r);
        }
        return new Strided(java.util.Arrays.copyOf(sh, r), st2);
    }

    /** Length of the innermost run. */
    public int inner() {
        return shape[shape.length - 1];
    }

    /** Stride of operand {@code j} along the innermost run. */
    public int innerStride(int j) {
        return strides[j][shape.length - 1];
    }

    /** Number of runs. */
    public int runs() {
        int n = 1;
        for (int d = 0; d < shape.length - 1; d++) {
            n *= shape[d];
        }
        return n;
    }

    /** Visits every run, starting the operands at {@code offsets}. */
    public void forEach(int[] offsets, Body body) {
        forRuns(offsets, 0, runs(), body);
    }

    /** Visits runs {@code from} to {@code to} (row-major order of the outer dims). */
    public void forRuns(int[] offsets, int from, int to, Body body) {
        int r = shape.length - 1;
        int k = strides.length;
        int[] offs = offsets.clone();
        int[] idx = new int[Math.max(r, 1)];
        int rem = from;
        for (int d = r - 1; d >= 0; d--) {
            idx[d] = rem % shape[d];
            rem /= shape[d];
            for (int j = 0; j < k; j++) {
                offs[j] += idx[d] * strides[j][d];
            }
        }
        int n = inner();
        for (int o = from; o < to; o++) {
            body.run(offs, n);
            for (int d = r - 1; d >= 0; d--) {
                idx[d]++;
                for (int j = 0; j < k; j++) {
                    offs[j] += strides[j][d];
                }
                if (idx[d] < shape[d]) {
                    break;
                }
                for (int j = 0; j < k; j++) {
                    offs[j] -= strides[j][d] * shape[d];
                }
                idx[d] = 0;
            }
        }
    }
}
