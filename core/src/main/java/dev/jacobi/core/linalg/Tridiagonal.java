package dev.jacobi.core.linalg;

import java.util.Arrays;

/**
 * The Lanczos tridiagonal of one Hermitian matrix ({@code alpha} on the diagonal, {@code beta} beside it) and the
 * stopping test on it, shared by {@link Lanczos} and {@link LanczosBatch}.
 */
final class Tridiagonal {
    final double tol;
    final double[] alpha;
    final double[] beta;
    final double[] d;
    final double[] e;
    final double[] z;

    Tridiagonal(int dim, double tol) {
        this.tol = tol;
        alpha = new double[dim];
        beta = new double[dim];
        d = new double[dim];
        e = new double[dim];
        z = new double[dim];
    }

    /**
     * Records step {@code j}: {@code alpha[j] = a} and {@code beta[j] = b}, the norm of the new residual. Returns
     * whether to stop: at an invariant subspace ({@code b} negligible), after {@code dim} steps, or once the top
     * Ritz value is accurate to {@code tol} relative (tested every third step from the sixth).
     */
    boolean step(int j, double a, double b) {
        alpha[j] = a;
        beta[j] = b;
        int steps = j + 1;
        double scaleG = Math.abs(a) + b + (j > 0 ? beta[j - 1] : 0);
        return b <= 1e-14 * scaleG || steps == alpha.length || steps >= 4 && steps % 3 == 0 && converged(steps);
    }

    /** The largest Ritz value of the {@code steps}-step tridiagonal. */
    double top(int steps) {
        ritz(steps);
        double top = 0;
        for (int i = 0; i < steps; i++) {
            top = Math.max(top, d[i]);
        }
        return top;
    }

    /** Whether the top Ritz value of the {@code steps}-step tridiagonal is accurate to {@code tol} relative. */
    private boolean converged(int steps) {
        ritz(steps);
        int top = 0;
        for (int i = 1; i < steps; i++) {
            if (d[i] > d[top]) {
                top = i;
            }
        }
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < steps; i++) {
            if (i != top) {
                second = Math.max(second, d[i]);
            }
        }
        double theta = d[top];
        double r = beta[steps - 1] * Math.abs(z[top]); // residual ‖G·y − θ·y‖ of the Ritz vector
        double gap = theta - second;
        double err = gap > 0 ? Math.min(r, r * r / gap) : r;
        return err <= tol * theta;
    }

    /** Eigenvalues of the Lanczos tridiagonal into {@code d}, last eigenvector components into {@code z}. */
    private void ritz(int steps) {
        System.arraycopy(alpha, 0, d, 0, steps);
        System.arraycopy(beta, 0, e, 0, steps - 1);
        e[steps - 1] = 0;
        Arrays.fill(z, 0, steps, 0);
        z[steps - 1] = 1;
        tridiagonalEigen(d, e, z, steps);
    }

    /**
     * Implicit QL on the symmetric tridiagonal with diagonal {@code d} and off-diagonal {@code e} ({@code e[i]}
     * couples {@code i} and {@code i+1}): {@code d} becomes the eigenvalues (unsorted) and the row vector {@code z}
     * is multiplied by the eigenvector matrix (so {@code z = e_last} yields each eigenvector's last component).
     */
    static void tridiagonalEigen(double[] d, double[] e, double[] z, int n) {
        for (int l = 0; l < n; l++) {
            int iter = 0;
            int mm;
            do {
                for (mm = l; mm < n - 1; mm++) {
                    double dd = Math.abs(d[mm]) + Math.abs(d[mm + 1]);
                    if (Math.abs(e[mm]) <= 0x1.0p-53 * dd) {
                        break;
                    }
                }
                if (mm != l) {
                    if (iter++ == 60) {
                        throw new IllegalStateException("tridiagonal QL did not converge (n = " + n + ")");
                    }
                    double g = (d[l + 1] - d[l]) / (2 * e[l]);
                    double r = Math.sqrt(g * g + 1); // not Math.hypot (slow): Lanczos overflows first anyway
                    g = d[mm] - d[l] + e[l] / (g + Math.copySign(r, g));
                    double s = 1;
                    double c = 1;
                    double p = 0;
                    int i;
                    for (i = mm - 1; i >= l; i--) {
                        double f = s * e[i];
                        double b = c * e[i];
                        r = Math.sqrt(f * f + g * g);
                        e[i + 1] = r;
                        if (r == 0) {
                            d[i + 1] -= p;
                            e[mm] = 0;
                            break;
                        }
                        s = f / r;
                        c = g / r;
                        g = d[i + 1] - p;
                        r = (d[i] - g) * s + 2 * c * b;
                        p = s * r;
                        d[i + 1] = g + p;
                        g = c * r - b;
                        double zf = z[i + 1];
                        z[i + 1] = s * z[i] + c * zf;
                        z[i] = c * z[i] - s * zf;
                    }
                    if (r == 0 && i >= l) {
                        continue;
                    }
                    d[l] -= p;
                    e[l] = g;
                    e[mm] = 0;
                }
            } while (mm != l);
        }
    }
}
