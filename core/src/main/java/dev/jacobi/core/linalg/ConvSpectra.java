package dev.jacobi.core.linalg;

import dev.jacobi.core.Tensor;
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
    static final double LANCZOS_TOL = 1e-11;
    /** Relative accuracy of the float32 screening pass of {@link #operatorNorm}. */
    static final double LANCZOS_TOL32 = 1e-5;
    /** Frequencies whose float32 estimate is within this relative margin of the best are refined in float64. */
    private static final double SCREEN_MARGIN = 1e-3;

    private ConvSpectra() {
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
        KernelTaps k = new KernelTaps(kernel, n, m, "kernelSpectrum");
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
        return new Fft.Complex(Tensor.of(re, shape).to(kernel.dtype()), Tensor.of(im, shape).to(kernel.dtype()));
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
        KernelTaps k = new KernelTaps(kernel, n, m, "operatorNorm");
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
    private static double screen(int[] freqs, KernelTaps k, double[] fro2, double[] out) {
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
        KernelTaps k = new KernelTaps(kernel, n, m, "singularValues");
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
                double[] s = Linalg.svdvalsComplex(Tensor.of(re, k.cout, k.cin), Tensor.of(im, k.cout, k.cin))
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
        return Tensor.of(out, out.length);
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
        KernelTaps k = new KernelTaps(kernel, n, m, "clip");
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
        return Tensor.of(out, kernel.shape().clone()).to(kernel.dtype());
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
        Linalg.Svd svd = Linalg.svd(Tensor.of(e, 2 * rows, w));
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
}
