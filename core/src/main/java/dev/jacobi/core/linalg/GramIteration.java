package dev.jacobi.core.linalg;

import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.kernel.Workers;

/**
 * Gram iteration (Delattre, Barthélemy, Araujo and Allauzen, ICML 2023): an upper bound on the largest singular value
 * that converges to it quickly. For a matrix {@code M}, repeat {@code t} times {@code f = ‖M‖_F; M ← M/f;
 * M ← MᴴM; r ← 2(r + log f)}; then {@code σ₁ ≤ ‖M‖_F^(2^-t)·exp(r·2^-t)}, since after the loop
 * {@code ‖M‖_F·e^r = (Σᵢ σᵢ^(2^(t+1)))^(1/2)}, a Schatten norm of the original. Every {@code t} gives an upper bound,
 * and the gap shrinks like {@code (σ₂/σ₁)^(2^(t+1))}. For a circular convolution the iteration runs on the matrices of
 * every frequency of the kernel's 2-D DFT (as {@link ConvSpectra#kernelSpectrum}), and the bound is their maximum. All
 * arithmetic is in float64. (The authors' code is {@code blaisedelattre/lip4conv}, {@code bounds.py}.)
 */
public final class GramIteration {
    private static final dev.jacobi.core.kernel.Kernels KN = dev.jacobi.core.kernel.Backend.KERNELS;
    private GramIteration() {
    }

    /**
     * The Gram-iteration bounds after {@code 0, 1, …, iterations} steps on a matrix ({@code [rows, cols]}), each an
     * upper bound on its spectral norm; entry 0 is the Frobenius norm.
     *
     * @throws IllegalArgumentException for a non-matrix, an empty or non-finite one, or {@code iterations} outside
     *     {@code [0, 30]}
     */
    public static double[] dense(Tensor matrix, int iterations) {
        if (matrix.dim() != 2) {
            throw new IllegalArgumentException("GramIteration.dense: need a matrix, got " + Shapes.str(matrix.shape()));
        }
        checkIterations(iterations);
        int r = matrix.shape()[0];
        int c = matrix.shape()[1];
        double[] a = matrix.toDoubleArray();
        // the Gram matrix of the smaller side: MᵀM (c×c) or MMᵀ (r×r) have the same nonzero eigenvalues
        boolean transpose = c > r;
        int k = transpose ? r : c;
        double[] re = new double[r * c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                re[transpose ? j * r + i : i * c + j] = a[i * c + j];
            }
        }
        return bounds(re, null, transpose ? c : r, k, iterations, "GramIteration.dense");
    }

    /**
     * The bounds after {@code 0, …, iterations} steps on the circular convolution with {@code kernel}
     * ({@code [cout, cin, kh, kw]}) on {@code n×m} inputs: the maximum over frequencies of each frequency's bound.
     * Half the frequencies suffice: {@code P̂[−p,−q]} is the conjugate of {@code P̂[p,q]}, with the same singular
     * values, so rows {@code p ≤ n/2} cover them all. The frequencies are iterated a few at a time (one per thread
     * and then some), in order of decreasing Frobenius norm, so memory stays at a few of them, not the whole
     * spectrum ({@code 2·n·m·cout·cin} doubles: 4 GB for 256 channels on 64×64). A frequency stops, or is never
     * started, once its bound is below {@code b_T·rank^(−2^−(T+1))} of a finished one, a lower bound of that one's
     * {@code σ₁}: its bounds at later steps are then below the maximum, so every entry is the maximum over all
     * frequencies.
     */
    public static double[] circular(Tensor kernel, int n, int m, int iterations) {
        checkIterations(iterations);
        KernelTaps k = new KernelTaps(kernel.to(dev.jacobi.core.DType.FLOAT64), n, m, "GramIteration.circular");
        int cout = k.cout;
        int cin = k.cin;
        int len = cout * cin;
        int half = (n / 2 + 1) * m;
        boolean transpose = cin > cout;
        int rows = transpose ? cin : cout;
        int cols = transpose ? cout : cin;
        double[] fro2 = k.frobenius2();
        Integer[] order = new Integer[half];
        for (int f = 0; f < half; f++) {
            order[f] = f;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(fro2[b], fro2[a]));
        double shrink = Math.pow(cols, -Math.pow(2, -(iterations + 1)));
        double[] out = new double[iterations + 1];
        double[] lower = {0};
        int batch = 2 * Workers.threads();
        for (int start = 0; start < half; start += batch) {
            if (Math.sqrt(fro2[order[start]]) * (1 + 1e-9) < lower[0]) {
                break; // sorted: no later frequency can start either
            }
            int from = start;
            Workers.forRange(Math.min(batch, half - start), 1, (i0, i1) -> {
                double[] br = new double[len];
                double[] bi = new double[len];
                for (int i = i0; i < i1; i++) {
                    int f = order[from + i];
                    double floor;
                    synchronized (out) {
                        floor = lower[0];
                    }
                    if (Math.sqrt(fro2[f]) * (1 + 1e-9) < floor) {
                        continue;
                    }
                    k.spectrum(f / m, f % m, br, bi);
                    double[] gr = new double[len];
                    double[] gi = new double[len];
                    // the smaller side: a cout×cin block B, or its transpose (same singular values) when cin > cout
                    for (int a = 0; a < cout; a++) {
                        for (int c = 0; c < cin; c++) {
                            int d = transpose ? c * cout + a : a * cin + c;
                            gr[d] = br[a * cin + c];
                            gi[d] = bi[a * cin + c];
                        }
                    }
                    Iterate it = new Iterate(gr, gi, rows, cols, "GramIteration.circular");
                    double[] b = new double[iterations + 1];
                    b[0] = it.bound;
                    int done = 0;
                    while (done < iterations && it.bound >= floor) {
                        it.step();
                        b[++done] = it.bound;
                    }
                    synchronized (out) {
                        for (int t = 0; t <= done; t++) {
                            out[t] = Math.max(out[t], b[t]);
                        }
                        if (done == iterations) {
                            lower[0] = Math.max(lower[0], b[iterations] * shrink);
                        }
                    }
                }
            });
        }
        return out;
    }

    /** One matrix's Gram iteration, a step at a time. */
    private static final class Iterate {
        private double[] gr;
        private double[] gi;
        private int r;
        private final int cols;
        private double logScale;
        private int t;
        double bound;

        Iterate(double[] re, double[] im, int rows, int cols, String op) {
            this.gr = re;
            this.gi = im;
            this.r = rows;
            this.cols = cols;
            this.bound = frobenius(re, im);
            if (!Double.isFinite(bound)) {
                throw new IllegalArgumentException(op + ": the matrix has a non-finite entry");
            }
        }

        void step() {
            t++;
            if (bound == 0) {
                return; // the zero matrix: every bound is 0
            }
            double f = frobenius(gr, gi);
            logScale = 2 * (logScale + Math.log(f));
            double[][] g = gram(gr, gi, r, cols, 1 / f);
            gr = g[0];
            gi = g[1];
            r = cols;
            bound = Math.exp((Math.log(frobenius(gr, gi)) + logScale) / Math.pow(2, t));
        }
    }

    private static void checkIterations(int iterations) {
        if (iterations < 0 || iterations > 30) {
            throw new IllegalArgumentException("GramIteration: iterations must be in [0, 30], got " + iterations);
        }
    }

    /** The bounds after {@code 0, …, iterations} steps of one real or complex matrix ({@code im} null if real). */
    private static double[] bounds(double[] re, double[] im, int rows, int cols, int iterations, String op) {
        Iterate it = new Iterate(re, im, rows, cols, op);
        double[] out = new double[iterations + 1];
        out[0] = it.bound;
        for (int t = 1; t <= iterations; t++) {
            it.step();
            out[t] = it.bound;
        }
        return out;
    }

    private static double frobenius(double[] re, double[] im) {
        double s = 0;
        for (int i = 0; i < re.length; i++) {
            s += re[i] * re[i] + (im == null ? 0 : im[i] * im[i]);
        }
        return Math.sqrt(s);
    }

    /** {@code (sM)ᴴ(sM)} of the complex {@code rows×cols} matrix {@code M = (re, im)}, a {@code cols×cols} matrix. */
    private static double[][] gram(double[] re, double[] im, int rows, int cols, double s) {
        double[] or = new double[cols * cols];
        if (im == null) {
            // real: (sM)ᵀ(sM) through the transposed copy, row by row, so the inner loop runs along contiguous rows
            double[] t = new double[cols * rows];
            for (int k = 0; k < rows; k++) {
                for (int i = 0; i < cols; i++) {
                    t[i * rows + k] = re[k * cols + i];
                }
            }
            for (int i = 0; i < cols; i++) {
                for (int j = i; j < cols; j++) {
                    double sum = KN.dot(t, i * rows, t, j * rows, rows);
                    or[i * cols + j] = sum * s * s;
                    or[j * cols + i] = sum * s * s;
                }
            }
            return new double[][] {or, null};
        }
        double[] oi = new double[cols * cols];
        double s2 = s * s;
        // the columns as contiguous runs, so that each entry is four SIMD dot products:
        // conj(x)·y = (xr·yr + xi·yi) + i(xr·yi − xi·yr)
        double[] cr = new double[cols * rows];
        double[] ci = new double[cols * rows];
        for (int k = 0; k < rows; k++) {
            for (int i = 0; i < cols; i++) {
                cr[i * rows + k] = re[k * cols + i];
                ci[i * rows + k] = im[k * cols + i];
            }
        }
        for (int i = 0; i < cols; i++) {
            int a = i * rows;
            for (int j = i; j < cols; j++) {
                int b = j * rows;
                double sr = (KN.dot(cr, a, cr, b, rows) + KN.dot(ci, a, ci, b, rows)) * s2;
                double si = (KN.dot(cr, a, ci, b, rows) - KN.dot(ci, a, cr, b, rows)) * s2;
                or[i * cols + j] = sr;
                oi[i * cols + j] = si;
                or[j * cols + i] = sr; // Hermitian
                oi[j * cols + i] = -si;
            }
        }
        return new double[][] {or, oi};
    }
}
