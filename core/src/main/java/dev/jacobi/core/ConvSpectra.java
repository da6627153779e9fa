package dev.jacobi.core;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.LaneKernel;
import dev.jacobi.core.kernel.ScalarLaneKernel;
import dev.jacobi.core.kernel.Workers;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exact singular values of a multi-channel 2-D convolution with circular padding (Sedghi, Gupta and Long 2019).
 * For a kernel {@code J} of shape {@code [cout, cin, kh, kw]} acting on {@code n×m} inputs, the convolution
 * operator is block-diagonalised by the 2-D DFT: its singular values are the union over the {@code n·m}
 * frequencies {@code (p, q)} of the singular values of the {@code cout×cin} complex matrices
 * {@code P̂[p,q] = Σ_{a<kh, b<kw} J[:, :, a, b]·e^{-2πi(pa/n + qb/m)}} (the 2-D DFT of {@code J} zero-padded to
 * {@code n×m}). The same values hold for convolution and cross-correlation (flipping the kernel conjugates the
 * spectrum up to a phase). All arithmetic is in double precision; FLOAT32 kernels are converted exactly.
 */
public final class ConvSpectra {
    /** Relative accuracy of each frequency's largest eigenvalue of {@code P̂ᴴP̂} in {@link #operatorNorm}. */
    private static final double LANCZOS_TOL = 1e-11;
    /** Relative accuracy of the float32 screening pass of {@link #operatorNorm}. */
    private static final double LANCZOS_TOL32 = 1e-5;
    /** Frequencies whose float32 estimate is within this relative margin of the best are refined in float64. */
    private static final double SCREEN_MARGIN = 1e-3;

    private ConvSpectra() {
    }

    /** A validated kernel: sizes and its taps as {@code kh·kw} matrices in both layouts. */
    private static final class Taps {
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

        Taps(Tensor kernel, int n, int m, String op) {
            if (kernel == null || kernel.dim() != 4) {
                throw new IllegalArgumentException(op + ": kernel must have shape [cout, cin, kh, kw], got "
                        + (kernel == null ? "null" : Shapes.str(kernel.shape)));
            }
            int[] s = kernel.shape;
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

    /**
     * The per-frequency matrices {@code P̂[p,q] = Σ_{a,b} J[:, :, a, b]·e^{-2πi(pa/n + qb/m)}}, i.e.
     * {@code Fft.fft2(kernel, n, m)} permuted to frequency-major order, computed as a direct DFT over the
     * {@code kh·kw} taps.
     *
     * @param kernel convolution kernel {@code [cout, cin, kh, kw]}, FLOAT32 or FLOAT64
     * @param n input height, at least {@code kh}
     * @param m input width, at least {@code kw}
     * @return real and imaginary parts, each of shape {@code [n, m, cout, cin]} and the kernel's dtype
     */
    public static Fft.Complex kernelSpectrum(Tensor kernel, int n, int m) {
        Taps k = new Taps(kernel, n, m, "kernelSpectrum");
        int len = k.cout * k.cin;
        double[] re = new double[n * m * len];
        double[] im = new double[re.length];
        Workers.forRange(n * m, Math.max(1, 65536 / (len * k.kh * k.kw)), (f0, f1) -> {
            double[] br = new double[len];
            double[] bi = new double[len];
            for (int f = f0; f < f1; f++) {
                k.spectrum(f / m, f % m, br, bi);
                System.arraycopy(br, 0, re, f * len, len);
                System.arraycopy(bi, 0, im, f * len, len);
            }
        });
        int[] shape = {n, m, k.cout, k.cin};
        return new Fft.Complex(Tensor.wrap(re, shape).to(kernel.dtype), Tensor.wrap(im, shape).to(kernel.dtype));
    }

    /**
     * The operator norm {@code ‖conv_J‖₂ = max_{p,q} σ_max(P̂[p,q])} of the circular convolution on {@code n×m}
     * inputs (the adjoint, a transposed convolution, has the same norm). Uses Hermitian symmetry
     * {@code P̂[−p,−q] = conj(P̂[p,q])} to visit about half the frequencies, in order of decreasing Frobenius norm
     * (an upper bound) so that frequencies that cannot beat the best value so far are skipped, and Lanczos with full
     * reorthogonalisation on the Hermitian {@code min(cout, cin)}-sided Gram matrix of each: a float32 pass screens
     * the frequencies (to about {@code 1e-5}), one SIMD lane per frequency ({@link LanczosBatch}), then the frequencies within {@code 1e-3} of the best are recomputed in
     * float64 to about {@code 1e-11} relative accuracy. Work is spread over {@link Workers}'s threads.
     *
     * @param kernel convolution kernel {@code [cout, cin, kh, kw]}, FLOAT32 or FLOAT64, finite
     * @param n input height, at least {@code kh}
     * @param m input width, at least {@code kw}
     * @return the largest singular value of the convolution operator
     */
    public static double operatorNorm(Tensor kernel, int n, int m) {
        Taps k = new Taps(kernel, n, m, "operatorNorm");
        double[] fro2 = k.frobenius2();
        int count = 0;
        int[] order = new int[n * m];
        for (int f = 0; f < n * m; f++) {
            if (f <= k.conjugate(f)) {
                order[count++] = f;
            }
        }
        Integer[] boxed = new Integer[count];
        for (int i = 0; i < count; i++) {
            boxed[i] = order[i];
        }
        Arrays.sort(boxed, (a, b) -> Double.compare(fro2[b], fro2[a]));
        for (int i = 0; i < count; i++) {
            order[i] = boxed[i];
        }
        // screening in float32: every frequency whose Frobenius bound can still matter
        double[] screened = new double[n * m];
        Arrays.fill(screened, -1);
        double best32 = screen(Arrays.copyOf(order, count), k, fro2, screened);
        int refine = 0;
        for (int i = 0; i < count; i++) {
            if (screened[order[i]] >= (1 - SCREEN_MARGIN) * best32) {
                order[refine++] = order[i];
            }
        }
        // float64 Lanczos on the few frequencies that may hold the maximum
        int[] near = Arrays.copyOf(order, refine);
        double[] lambda = new double[refine];
        Workers.forRange(refine, 1, (i0, i1) -> {
            Lanczos lz = new Lanczos(k);
            for (int i = i0; i < i1; i++) {
                lambda[i] = lz.largest(near[i]);
            }
        });
        double best = 0;
        for (double v : lambda) {
            best = Math.max(best, v);
        }
        return Math.sqrt(best);
    }

    /**
     * {@code max_f λ_max(G_f)} over the frequencies {@code freqs}, sorted by decreasing Frobenius norm, by
     * {@link LanczosBatch} on consecutive groups of {@link LanczosBatch#LANES} (pulled in order by the worker
     * threads); stores each frequency's value in {@code out}. Stops at the first group whose Frobenius bound (relaxed
     * by {@link #SCREEN_MARGIN}) cannot beat the best so far.
     */
    private static double screen(int[] freqs, Taps k, double[] fro2, double[] out) {
        int groups = (freqs.length + LanczosBatch.LANES - 1) / LanczosBatch.LANES;
        AtomicInteger next = new AtomicInteger();
        AtomicLong best = new AtomicLong(Double.doubleToLongBits(0.0)); // non-negative doubles order like longs
        Workers.forRange(Math.min(Workers.threads(), groups), 1, (w0, w1) -> {
            LanczosBatch lz = new LanczosBatch(k);
            for (int i = next.getAndIncrement(); i < groups; i = next.getAndIncrement()) {
                int from = i * LanczosBatch.LANES;
                if (fro2[freqs[from]] < (1 - SCREEN_MARGIN) * Double.longBitsToDouble(best.get())) {
                    return; // sorted: no later frequency can beat the best either
                }
                double lambda = lz.largest(freqs, from, Math.min(from + LanczosBatch.LANES, freqs.length), out);
                best.accumulateAndGet(Double.doubleToLongBits(lambda), Math::max);
            }
        });
        return Double.longBitsToDouble(best.get());
    }

    /**
     * All singular values of the circular convolution on {@code n×m} inputs: the union over frequencies of
     * {@code σ(P̂[p,q])}, each from {@link Linalg#svdvalsComplex} (one-sided Jacobi, accurate also for small values);
     * Hermitian symmetry halves the work.
     *
     * @param kernel convolution kernel {@code [cout, cin, kh, kw]}, FLOAT32 or FLOAT64, finite
     * @param n input height, at least {@code kh}
     * @param m input width, at least {@code kw}
     * @return FLOAT64 tensor of the {@code n·m·min(cout, cin)} singular values in descending order
     */
    public static Tensor singularValues(Tensor kernel, int n, int m) {
        Taps k = new Taps(kernel, n, m, "singularValues");
        int r = Math.min(k.cout, k.cin);
        int len = k.cout * k.cin;
        double[] out = new double[n * m * r];
        Workers.forRange(n * m, 1, (f0, f1) -> {
            double[] re = new double[len];
            double[] im = new double[len];
            for (int f = f0; f < f1; f++) {
                int g = k.conjugate(f);
                if (g < f) {
                    continue; // filled by its partner
                }
                k.spectrum(f / m, f % m, re, im);
                double[] s = Linalg.svdvalsComplex(Tensor.wrap(re, k.cout, k.cin), Tensor.wrap(im, k.cout, k.cin))
                        .toDoubleArray();
                System.arraycopy(s, 0, out, f * r, r);
                System.arraycopy(s, 0, out, g * r, r);
            }
        });
        Arrays.sort(out);
        for (int i = 0, j = out.length - 1; i < j; i++, j--) {
            double t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return Tensor.wrap(out, out.length);
    }

    /**
     * Approximate projection onto kernels with operator norm at most {@code tau} (Sedghi et al.): every frequency's
     * matrix becomes {@code U·min(Σ, τ)·Vᴴ} where {@code P̂[p,q] = U·Σ·Vᴴ}, the clipped spectrum is inverted to an
     * {@code n×m} kernel by {@link Fft#ifft2}, and that kernel is cropped back to {@code kh×kw}. Before the crop the
     * operator norm is exactly {@code min(‖conv_J‖₂, τ)}; the crop discards the taps the clipping spread outside
     * {@code kh×kw}, so the result's norm is only close to {@code τ} (repeating the clip converges further). Costs
     * one SVD of a {@code 2cout×2cin} real embedding per pair of conjugate frequencies.
     *
     * @param kernel convolution kernel {@code [cout, cin, kh, kw]}, FLOAT32 or FLOAT64, finite
     * @param n input height, at least {@code kh}
     * @param m input width, at least {@code kw}
     * @param tau the bound on the singular values, finite and non-negative
     * @return the clipped kernel, same shape and dtype as {@code kernel}
     */
    public static Tensor clip(Tensor kernel, int n, int m, double tau) {
        if (!(tau >= 0) || Double.isInfinite(tau)) {
            throw new IllegalArgumentException("clip: tau must be finite and non-negative, got " + tau);
        }
        Taps k = new Taps(kernel, n, m, "clip");
        int cout = k.cout;
        int cin = k.cin;
        int plane = n * m;
        double[] re = new double[cout * cin * plane]; // [cout, cin, n, m], ready for the inverse 2-D DFT
        double[] im = new double[re.length];
        Workers.forRange(plane, 1, (f0, f1) -> {
            double[] pr = new double[cout * cin];
            double[] pi = new double[cout * cin];
            for (int f = f0; f < f1; f++) {
                int g = k.conjugate(f);
                if (g < f) {
                    continue;
                }
                k.spectrum(f / m, f % m, pr, pi);
                clipMatrix(pr, pi, cout, cin, tau);
                for (int c = 0; c < cout * cin; c++) {
                    re[c * plane + f] = pr[c];
                    im[c * plane + f] = pi[c];
                    re[c * plane + g] = pr[c];
                    im[c * plane + g] = -pi[c];
                }
            }
        });
        Fft.transform2(re, im, cout * cin, n, m, true);
        double[] out = new double[cout * cin * k.kh * k.kw];
        for (int c = 0; c < cout * cin; c++) {
            for (int a = 0; a < k.kh; a++) {
                System.arraycopy(re, c * plane + a * m, out, (c * k.kh + a) * k.kw, k.kw);
            }
        }
        return Tensor.wrap(out, kernel.shape.clone()).to(kernel.dtype);
    }

    /**
     * {@code P ← P − U·max(Σ − τ, 0)·Vᴴ} for the {@code rows×cols} complex {@code P = re + i·im}, through the SVD
     * of its real embedding {@code [[Re, −Im], [Im, Re]]} (clipping commutes with the embedding).
     */
    private static void clipMatrix(double[] re, double[] im, int rows, int cols, double tau) {
        int w = 2 * cols;
        double[] e = new double[4 * rows * cols];
        for (int p = 0; p < rows; p++) {
            for (int q = 0; q < cols; q++) {
                e[p * w + q] = e[(rows + p) * w + cols + q] = re[p * cols + q];
                e[p * w + cols + q] = -im[p * cols + q];
                e[(rows + p) * w + q] = im[p * cols + q];
            }
        }
        Linalg.Svd svd = Linalg.svd(Tensor.wrap(e, 2 * rows, w));
        double[] s = svd.s().toDoubleArray();
        if (s.length == 0 || s[0] <= tau) {
            return;
        }
        double[] u = svd.u().toDoubleArray();
        double[] vt = svd.vt().toDoubleArray();
        int kk = s.length;
        double[] excess = new double[e.length]; // U·max(Σ − τ, 0)·Vᵀ of the embedding
        for (int l = 0; l < kk && s[l] > tau; l++) {
            double x = s[l] - tau;
            for (int p = 0; p < 2 * rows; p++) {
                double up = x * u[p * kk + l];
                for (int q = 0; q < w; q++) {
                    excess[p * w + q] += up * vt[l * w + q];
                }
            }
        }
        for (int p = 0; p < rows; p++) {
            for (int q = 0; q < cols; q++) {
                re[p * cols + q] -= 0.5 * (excess[p * w + q] + excess[(rows + p) * w + cols + q]);
                im[p * cols + q] -= 0.5 * (excess[(rows + p) * w + q] - excess[p * w + cols + q]);
            }
        }
    }

    /**
     * The Lanczos tridiagonal of one Hermitian matrix ({@code alpha} on the diagonal, {@code beta} beside it) and the
     * stopping test on it, shared by {@link Lanczos} and {@link LanczosBatch}.
     */
    private static final class Tridiagonal {
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
    }

    /**
     * Lanczos in float64 with full reorthogonalisation on the Hermitian Gram matrix {@code G = AᴴA} of one frequency,
     * with {@code A = P̂} when {@code cin ≤ cout}, else {@code A = P̂ᴴ}, so {@code G} has side {@code min(cout, cin)}
     * and {@code λ_max(G) = σ_max(P̂)²}: the accurate pass of {@link #operatorNorm}. One workspace per thread; no
     * allocation per frequency.
     */
    private static final class Lanczos {
        final Taps k;
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

        Lanczos(Taps k) {
            this.k = k;
            dim = Math.min(k.cout, k.cin);
            t = new Tridiagonal(dim, LANCZOS_TOL);
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


    /**
     * The float32 screening pass of {@link #operatorNorm}: the Lanczos iteration of {@link Lanczos} run on
     * {@link LaneKernel#lanes()} frequencies at once. Matrices and vectors are stored lane-innermost (structure of
     * arrays), so every product with {@code P̂} or {@code P̂ᴴ}, dot product and Gram–Schmidt pass is one lane-wise
     * {@link LaneKernel#gemv}, a SIMD loop with no reduction across lanes. Each lane keeps its own tridiagonal and
     * stopping test; a lane that stops has its vector zeroed and idles until the last lane of the group stops. Lanes
     * never mix, so a frequency's value does not depend on its group.
     */
    private static final class LanczosBatch {
        static final LaneKernel KERNEL = Backend.load("dev.jacobi.core.kernel.VectorLaneKernel", LaneKernel.class,
                new ScalarLaneKernel());
        static final int LANES = KERNEL.lanes();
        final Taps k;
        final int dim;
        final Tridiagonal[] lanes = new Tridiagonal[LANES];
        /** Phase factors of the taps: one lane's in double, all lanes' in float (tap {@code t} at {@code t·LANES + g}). */
        final double[] sr;
        final double[] si;
        final float[] wr;
        final float[] wi;
        /** {@code P̂[i, j]} of lane {@code g} at {@code (i·cin + j)·LANES + g}. */
        final float[] pr;
        final float[] pi;
        /** Entry {@code l} of Lanczos vector {@code s} of lane {@code g} at {@code (s·dim + l)·LANES + g}. */
        final float[] qr;
        final float[] qi;
        final float[] yr;
        final float[] yi;
        /** Coefficient {@code i} of lane {@code g} at {@code i·LANES + g}. */
        final float[] cr;
        final float[] ci;
        /** Lane-wise scalars. */
        final float[] alpha = new float[LANES];
        final float[] before = new float[LANES];
        final float[] after = new float[LANES];
        final float[] factor = new float[LANES];
        final boolean[] active = new boolean[LANES];

        LanczosBatch(Taps k) {
            this.k = k;
            dim = Math.min(k.cout, k.cin);
            for (int g = 0; g < LANES; g++) {
                lanes[g] = new Tridiagonal(dim, LANCZOS_TOL32);
            }
            sr = new double[k.kh * k.kw];
            si = new double[sr.length];
            wr = new float[sr.length * LANES];
            wi = new float[wr.length];
            pr = new float[k.cout * k.cin * LANES];
            pi = new float[pr.length];
            qr = new float[(dim + 1) * dim * LANES];
            qi = new float[qr.length];
            yr = new float[Math.max(k.cout, k.cin) * LANES];
            yi = new float[yr.length];
            cr = new float[Math.max(dim, 2) * LANES];
            ci = new float[cr.length];
        }

        /**
         * {@code λ_max(G)} of the frequencies {@code freqs[from..to)} (at most {@link #LANES}) into {@code out}, each
         * from a random start seeded by its frequency; returns their maximum.
         */
        double largest(int[] freqs, int from, int to, double[] out) {
            int taps = k.kh * k.kw;
            for (int g = 0; g < LANES; g++) {
                active[g] = from + g < to;
                if (active[g]) {
                    int f = freqs[from + g];
                    k.phases(f / k.m, f % k.m, sr, si);
                    Rng rng = new Rng(0x5EEDL + f);
                    for (int l = 0; l < dim; l++) {
                        qr[l * LANES + g] = (float) rng.nextGaussian();
                        qi[l * LANES + g] = (float) rng.nextGaussian();
                    }
                } else {
                    Arrays.fill(sr, 0);
                    Arrays.fill(si, 0);
                    for (int l = 0; l < dim; l++) {
                        qr[l * LANES + g] = 0;
                        qi[l * LANES + g] = 0;
                    }
                }
                for (int t = 0; t < taps; t++) {
                    wr[t * LANES + g] = (float) sr[t];
                    wi[t * LANES + g] = (float) si[t];
                }
            }
            KERNEL.sharedGemv(k.taps32, k.cout * k.cin, taps, wr, wi, pr, pi);
            dot(0, 0, after);
            for (int g = 0; g < LANES; g++) {
                factor[g] = active[g] ? (float) (1 / Math.sqrt(after[g])) : 0;
            }
            scale(0, factor);
            double top = 0;
            int stride = dim * LANES;
            for (int j = 0; j < dim; j++) {
                int v = j * stride;
                int w = v + stride;
                gram(v, w);
                // w −= alpha·q_j + beta_{j−1}·q_{j−1}: coefficients of q_{j−1}, q_j at 0 and LANES in cr
                dot(v, w, alpha);
                System.arraycopy(alpha, 0, cr, LANES, LANES);
                Arrays.fill(ci, 0, 2 * LANES, 0);
                if (j > 0) {
                    KERNEL.gemv(qr, qi, v - stride, dim, 2, LANES, stride, false, cr, ci, 0, qr, qi, w, true);
                } else {
                    KERNEL.gemv(qr, qi, v, dim, 1, LANES, stride, false, cr, ci, LANES, qr, qi, w, true);
                }
                dot(w, w, before);
                orthogonalise(j, w, null);
                dot(w, w, after);
                boolean again = false;
                for (int g = 0; g < LANES; g++) {
                    factor[g] = after[g] < 0.49f * before[g] ? 1 : 0; // cancellation: one more pass (DGKS)
                    again |= factor[g] != 0;
                }
                if (again) {
                    orthogonalise(j, w, factor);
                    dot(w, w, after);
                }
                boolean any = false;
                for (int g = 0; g < LANES; g++) {
                    factor[g] = 0;
                    cr[g] = 0; // beta_j, the coefficient of q_j at the next step
                    if (active[g]) {
                        float b = (float) Math.sqrt(after[g]);
                        if (lanes[g].step(j, alpha[g], b)) {
                            double lambda = Math.max(0, lanes[g].top(j + 1));
                            out[freqs[from + g]] = lambda;
                            top = Math.max(top, lambda);
                            active[g] = false;
                        } else {
                            factor[g] = 1 / b;
                            cr[g] = b;
                            any = true;
                        }
                    }
                }
                if (!any) {
                    break;
                }
                scale(w, factor);
            }
            return top;
        }

        /** Vector at {@code w} = {@code G}·(vector at {@code v}), lane-wise. */
        private void gram(int v, int w) {
            int cout = k.cout;
            int cin = k.cin;
            int row = cin * LANES;
            if (cin <= cout) { // y = P̂·x, then Gx = P̂ᴴ·y
                KERNEL.gemv(pr, pi, 0, cout, cin, row, LANES, false, qr, qi, v, yr, yi, 0, false);
                KERNEL.gemv(pr, pi, 0, cin, cout, LANES, row, true, yr, yi, 0, qr, qi, w, false);
            } else { // y = P̂ᴴ·x, then Gx = P̂·y
                KERNEL.gemv(pr, pi, 0, cin, cout, LANES, row, true, qr, qi, v, yr, yi, 0, false);
                KERNEL.gemv(pr, pi, 0, cout, cin, row, LANES, false, yr, yi, 0, qr, qi, w, false);
            }
        }

        /** {@code out[g] = Re(aᴴ·b)} of the vectors at offsets {@code a} and {@code b}, lane-wise. */
        private void dot(int a, int b, float[] out) {
            KERNEL.gemv(qr, qi, a, 1, dim, 0, LANES, true, qr, qi, b, out, yi, 0, false);
        }

        /** Vector at {@code o} times {@code c[g]}, lane-wise. */
        private void scale(int o, float[] c) {
            for (int l = 0; l < dim; l++) {
                int x = o + l * LANES;
                for (int g = 0; g < LANES; g++) {
                    qr[x + g] *= c[g];
                    qi[x + g] *= c[g];
                }
            }
        }

        /**
         * One classical Gram–Schmidt pass of the vector {@code w} (offset) against vectors {@code q_0..q_j},
         * lane-wise: all coefficients {@code c_i = q_iᴴ·w} first, then {@code w −= Σ c_i·q_i}. With {@code mask},
         * lane {@code g}'s coefficients are multiplied by {@code mask[g]} (0 leaves that lane's vector as it was).
         */
        private void orthogonalise(int j, int w, float[] mask) {
            int stride = dim * LANES;
            KERNEL.gemv(qr, qi, 0, j + 1, dim, stride, LANES, true, qr, qi, w, cr, ci, 0, false);
            if (mask != null) {
                for (int i = 0; i <= j; i++) {
                    for (int g = 0; g < LANES; g++) {
                        cr[i * LANES + g] *= mask[g];
                        ci[i * LANES + g] *= mask[g];
                    }
                }
            }
            KERNEL.gemv(qr, qi, 0, dim, j + 1, LANES, stride, false, cr, ci, 0, qr, qi, w, true);
        }
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
