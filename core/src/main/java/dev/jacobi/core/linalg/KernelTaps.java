package dev.jacobi.core.linalg;

import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.Arrays;

/** A validated kernel: sizes and its taps as {@code kh·kw} matrices in both layouts. */
final class KernelTaps {
    final int cout;
    final int cin;
    final int kh;
    final int kw;
    final int n;
    final int m;
    /** {@code rows[t][i·cin + j] = J[i, j, a, b]} for tap {@code t = a·kw + b}. */
    final double[][] rows;
    /** {@code J[i, j, a, b]} rounded to float32 at {@code (i·cin + j)·kh·kw + a·kw + b}. */
    final float[] taps32;
    /** {@code cos(2πk/n)}, {@code −sin(2πk/n)} and the same for {@code m}. */
    final double[] cn;
    final double[] sn;
    final double[] cm;
    final double[] sm;

    KernelTaps(Tensor kernel, int n, int m, String op) {
        if (kernel == null || kernel.dim() != 4) {
            throw new IllegalArgumentException(op + ": kernel must have shape [cout, cin, kh, kw], got "
                    + (kernel == null ? "null" : Shapes.str(kernel.shape())));
        }
        int[] s = kernel.shape();
        for (int v : s) {
            if (v < 1) {
                throw new IllegalArgumentException(op + ": kernel shape " + Shapes.str(s) + " has an empty dim");
            }
        }
        cout = s[0];
        cin = s[1];
        kh = s[2];
        kw = s[3];
        if (n < kh || m < kw) {
            throw new IllegalArgumentException(op + ": input size " + n + "x" + m + " is smaller than the "
                    + kh + "x" + kw + " kernel of shape " + Shapes.str(s));
        }
        Shapes.numel(new int[] {n, m, cout, cin}, op);
        this.n = n;
        this.m = m;
        double[] x = kernel.toDoubleArray();
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i])) {
                throw new IllegalArgumentException(op + ": kernel of shape " + Shapes.str(s) + " has " + x[i]
                        + " at flat index " + i);
            }
        }
        taps32 = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            taps32[i] = (float) x[i];
        }
        int taps = kh * kw;
        rows = new double[taps][cout * cin];
        for (int i = 0; i < cout; i++) {
            for (int j = 0; j < cin; j++) {
                for (int t = 0; t < taps; t++) {
                    double v = x[(i * cin + j) * taps + t];
                    rows[t][i * cin + j] = v;
                }
            }
        }
        cn = new double[n];
        sn = new double[n];
        twiddles(cn, sn);
        cm = new double[m];
        sm = new double[m];
        twiddles(cm, sm);
    }

    private static void twiddles(double[] c, double[] s) {
        int n = c.length;
        for (int k = 0; k < n; k++) {
            double a = 2 * Math.PI * k / n;
            c[k] = Math.cos(a);
            s[k] = -Math.sin(a);
        }
    }

    /** The frequency paired with {@code f = p·m + q} by Hermitian symmetry, {@code (−p mod n, −q mod m)}. */
    int conjugate(int f) {
        int p = f / m;
        int q = f % m;
        return ((n - p) % n) * m + (m - q) % m;
    }

    /**
     * {@code P̂[p,q]} into {@code re/im} (row-major {@code cout×cin}): the direct DFT over the {@code kh·kw} taps.
     */
    void spectrum(int p, int q, double[] re, double[] im) {
        double[][] src = rows;
        int len = cout * cin;
        Arrays.fill(re, 0, len, 0);
        Arrays.fill(im, 0, len, 0);
        for (int a = 0; a < kh; a++) {
            int ia = (int) ((long) p * a % n);
            for (int b = 0; b < kw; b++) {
                int ib = (int) ((long) q * b % m);
                double c = cn[ia] * cm[ib] - sn[ia] * sm[ib];
                double s = cn[ia] * sm[ib] + sn[ia] * cm[ib];
                double[] t = src[a * kw + b];
                for (int k = 0; k < len; k++) {
                    re[k] += c * t[k];
                    im[k] += s * t[k];
                }
            }
        }
    }

    /** The phase factors {@code e^{-2πi(pa/n + qb/m)}} of the taps {@code t = a·kw + b} into {@code c + i·s}. */
    void phases(int p, int q, double[] c, double[] s) {
        for (int a = 0; a < kh; a++) {
            int ia = (int) ((long) p * a % n);
            for (int b = 0; b < kw; b++) {
                int ib = (int) ((long) q * b % m);
                c[a * kw + b] = cn[ia] * cm[ib] - sn[ia] * sm[ib];
                s[a * kw + b] = cn[ia] * sm[ib] + sn[ia] * cm[ib];
            }
        }
    }

    /** {@code ‖P̂[p,q]‖_F²} as {@code Σ_{t,u} ⟨J_t, J_u⟩·cos(φ_t − φ_u)} from the taps' Gram matrix. */
    double[] frobenius2() {
        int taps = kh * kw;
        double[] gram = new double[taps * taps];
        for (int t = 0; t < taps; t++) {
            for (int u = t; u < taps; u++) {
                double g = 0;
                for (int k = 0; k < rows[t].length; k++) {
                    g += rows[t][k] * rows[u][k];
                }
                gram[t * taps + u] = gram[u * taps + t] = g;
            }
        }
        double[] out = new double[n * m];
        double[] wr = new double[taps];
        double[] wi = new double[taps];
        for (int p = 0; p < n; p++) {
            for (int q = 0; q < m; q++) {
                phases(p, q, wr, wi);
                double s = 0;
                for (int t = 0; t < taps; t++) {
                    for (int u = 0; u < taps; u++) {
                        s += gram[t * taps + u] * (wr[t] * wr[u] + wi[t] * wi[u]);
                    }
                }
                out[p * m + q] = Math.max(s, 0);
            }
        }
        return out;
    }
}
