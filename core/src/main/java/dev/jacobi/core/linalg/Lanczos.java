package dev.jacobi.core.linalg;

import dev.jacobi.core.Rng;
import java.util.Arrays;

/**
 * Lanczos in float64 with full reorthogonalisation on the Hermitian Gram matrix {@code G = AᴴA} of one frequency,
 * with {@code A = P̂} when {@code cin ≤ cout}, else {@code A = P̂ᴴ}, so {@code G} has side {@code min(cout, cin)}
 * and {@code λ_max(G) = σ_max(P̂)²}: the accurate pass of {@link #operatorNorm}. One workspace per thread; no
 * allocation per frequency.
 */
final class Lanczos {
    final KernelTaps k;
    final int dim;
    final Tridiagonal t;
    final double[] pr;
    final double[] pi;
    final double[] tr;
    final double[] ti;
    final double[] qr;
    final double[] qi;
    final double[] yr;
    final double[] yi;

    Lanczos(KernelTaps k) {
        this.k = k;
        dim = Math.min(k.cout, k.cin);
        t = new Tridiagonal(dim, ConvSpectra.LANCZOS_TOL);
        pr = new double[k.cout * k.cin];
        pi = new double[pr.length];
        tr = new double[pr.length];
        ti = new double[pr.length];
        qr = new double[(dim + 1) * dim];
        qi = new double[(dim + 1) * dim];
        yr = new double[Math.max(k.cout, k.cin)];
        yi = new double[yr.length];
    }

    /** {@code λ_max(G)} at frequency {@code f}, from a seeded random start. */
    double largest(int f) {
        k.spectrum(f / k.m, f % k.m, pr, pi);
        for (int i = 0; i < k.cout; i++) {
            for (int j = 0; j < k.cin; j++) {
                tr[j * k.cout + i] = pr[i * k.cin + j];
                ti[j * k.cout + i] = pi[i * k.cin + j];
            }
        }
        Rng rng = new Rng(0x5EEDL + f);
        for (int l = 0; l < dim; l++) {
            qr[l] = rng.nextGaussian();
            qi[l] = rng.nextGaussian();
        }
        scale(0, 1 / Math.sqrt(dotRe(0, 0)));
        int steps = 0;
        for (int j = 0; j < dim; j++) {
            gram(j);
            int w = (j + 1) * dim;
            double alpha = dotRe(j * dim, w);
            axpy(-alpha, j * dim, w);
            if (j > 0) {
                axpy(-t.beta[j - 1], (j - 1) * dim, w);
            }
            double before = Math.sqrt(dotRe(w, w));
            double after = reorthogonalise(j, w);
            if (after < 0.7 * before) { // cancellation: one more pass (DGKS)
                after = reorthogonalise(j, w);
            }
            steps = j + 1;
            if (t.step(j, alpha, after)) {
                break;
            }
            scale(w, 1 / after);
        }
        return t.top(steps);
    }

    /** {@code out = Σ_r c[r]·M[r, :]} (or with {@code conj(M)}) over the {@code rows×len} row-major complex M. */
    private static void combine(double[] mr, double[] mi, int rows, int len, boolean conj,
                                double[] cr, double[] ci, int co, double[] outr, double[] outi, int oo) {
        Arrays.fill(outr, oo, oo + len, 0);
        Arrays.fill(outi, oo, oo + len, 0);
        double sign = conj ? -1 : 1;
        int r = 0;
        for (; r + 1 < rows; r += 2) { // two rows per pass halve the loads and stores of out
            double a = cr[co + r];
            double b = ci[co + r];
            double bs = b * sign;
            double as = a * sign;
            double a2 = cr[co + r + 1];
            double b2 = ci[co + r + 1];
            double bs2 = b2 * sign;
            double as2 = a2 * sign;
            int o = r * len;
            int o2 = o + len;
            for (int l = 0; l < len; l++) {
                double xr = mr[o + l];
                double xi = mi[o + l];
                double xr2 = mr[o2 + l];
                double xi2 = mi[o2 + l];
                outr[oo + l] += (a * xr - bs * xi) + (a2 * xr2 - bs2 * xi2);
                outi[oo + l] += (as * xi + b * xr) + (as2 * xi2 + b2 * xr2);
            }
        }
        for (; r < rows; r++) {
            double a = cr[co + r];
            double b = ci[co + r];
            double bs = b * sign;
            double as = a * sign;
            int o = r * len;
            for (int l = 0; l < len; l++) {
                double xr = mr[o + l];
                double xi = mi[o + l];
                outr[oo + l] += a * xr - bs * xi;
                outi[oo + l] += as * xi + b * xr;
            }
        }
    }

    void gram(int j) {
        int cout = k.cout;
        int cin = k.cin;
        if (cin <= cout) { // y = P̂·x (rows of P̂ᵀ), then Gx = P̂ᴴ·y (conjugated rows of P̂)
            combine(tr, ti, cin, cout, false, qr, qi, j * dim, yr, yi, 0);
            combine(pr, pi, cout, cin, true, yr, yi, 0, qr, qi, (j + 1) * dim);
        } else { // y = P̂ᴴ·x, then Gx = P̂·y
            combine(pr, pi, cout, cin, true, qr, qi, j * dim, yr, yi, 0);
            combine(tr, ti, cin, cout, false, yr, yi, 0, qr, qi, (j + 1) * dim);
        }
    }

    double dotRe(int a, int b) {
        double s = 0;
        for (int l = 0; l < dim; l++) {
            s += qr[a + l] * qr[b + l] + qi[a + l] * qi[b + l];
        }
        return s;
    }

    void axpy(double c, int x, int y) {
        for (int l = 0; l < dim; l++) {
            qr[y + l] += c * qr[x + l];
            qi[y + l] += c * qi[x + l];
        }
    }

    void scale(int o, double c) {
        for (int l = 0; l < dim; l++) {
            qr[o + l] *= c;
            qi[o + l] *= c;
        }
    }

    double reorthogonalise(int j, int w) {
        for (int i = 0; i <= j; i++) {
            int o = i * dim;
            double cr = 0;
            double ci = 0;
            double cr2 = 0;
            double ci2 = 0;
            for (int l = 0; l < dim; l++) { // four independent sums shorten the add latency chain
                cr += qr[o + l] * qr[w + l];
                cr2 += qi[o + l] * qi[w + l];
                ci += qr[o + l] * qi[w + l];
                ci2 -= qi[o + l] * qr[w + l];
            }
            cr += cr2;
            ci += ci2;
            for (int l = 0; l < dim; l++) {
                qr[w + l] -= cr * qr[o + l] - ci * qi[o + l];
                qi[w + l] -= cr * qi[o + l] + ci * qr[o + l];
            }
        }
        return Math.sqrt(dotRe(w, w));
    }
}
