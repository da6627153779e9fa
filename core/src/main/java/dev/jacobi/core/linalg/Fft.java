package dev.jacobi.core.linalg;

import dev.jacobi.core.DType;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.kernel.Workers;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Complex discrete Fourier transform of any length, in double precision: {@code X[k] = Σ_j x[j]·e^{-2πi·jk/n}}
 * (forward) and {@code x[j] = (1/n)·Σ_k X[k]·e^{+2πi·jk/n}} (inverse, the forward transform's inverse; the
 * adjoint of the forward transform is {@code n} times the inverse). Powers of two use an iterative radix-2
 * transform; other lengths use Bluestein's chirp-z algorithm (a circular convolution of power-of-two length).
 * Twiddle and chirp tables are cached per length and shared between threads.
 */
public final class Fft {
    /**
     * A complex tensor as two real tensors of the same shape and dtype.
     *
     * @param re real parts
     * @param im imaginary parts
     */
    public record Complex(Tensor re, Tensor im) {
    }

    private static final ConcurrentHashMap<Integer, Radix2> RADIX2 = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<Integer, Bluestein> BLUESTEIN = new ConcurrentHashMap<>();
    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[2][0]);

    private Fft() {
    }

    /** How to transform one length: {@link Radix2} for powers of two, {@link Bluestein} otherwise. */
    private sealed interface Plan permits Radix2, Bluestein {
        /** The forward DFT of the first {@code n} entries of {@code re}/{@code im}, in place. */
        void forward(double[] re, double[] im);
    }

    /** Power-of-two plan: bit reversal and twiddles {@code w^k = e^{-2πik/n}} for {@code k < n/2}. */
    private record Radix2(int n, int[] rev, double[] wr, double[] wi) implements Plan {
        @Override
        public void forward(double[] re, double[] im) {
            radix2(this, re, im);
        }

        static Radix2 of(int n) {
            int bits = Integer.numberOfTrailingZeros(n);
            int[] rev = new int[n];
            for (int i = 1; i < n; i++) {
                rev[i] = (rev[i >> 1] >> 1) | ((i & 1) << (bits - 1));
            }
            double[] wr = new double[n / 2];
            double[] wi = new double[n / 2];
            for (int k = 0; k < n / 2; k++) {
                double a = 2 * Math.PI * k / n;
                wr[k] = Math.cos(a);
                wi[k] = -Math.sin(a);
            }
            return new Radix2(n, rev, wr, wi);
        }
    }

    /**
     * Bluestein plan: chirp {@code c[k] = e^{-πi·k²/n}} and the length-{@code m} forward FFT of the conjugate
     * chirp laid out circularly, so that {@code X[k] = c[k]·(a ⊛ conj(c))[k]} with {@code a[j] = x[j]·c[j]}.
     */
    private record Bluestein(int n, Radix2 sub, double[] cr, double[] ci, double[] br, double[] bi) implements Plan {
        @Override
        public void forward(double[] re, double[] im) {
            bluestein(this, re, im);
        }

        static Bluestein of(int n) {
            int m = Integer.highestOneBit(2 * n - 1) << 1;
            double[] cr = new double[n];
            double[] ci = new double[n];
            for (int k = 0; k < n; k++) {
                long q = (long) k * k % (2L * n); // keeps the angle exact for large k
                double a = Math.PI * q / n;
                cr[k] = Math.cos(a);
                ci[k] = -Math.sin(a);
            }
            double[] br = new double[m];
            double[] bi = new double[m];
            for (int k = 0; k < n; k++) {
                br[k] = cr[k];
                bi[k] = -ci[k];
                if (k > 0) {
                    br[m - k] = cr[k];
                    bi[m - k] = -ci[k];
                }
            }
            Radix2 sub = radix2Plan(m);
            radix2(sub, br, bi);
            return new Bluestein(n, sub, cr, ci, br, bi);
        }
    }

    private static Radix2 radix2Plan(int n) {
        return RADIX2.computeIfAbsent(n, Radix2::of);
    }

    private static Plan plan(int n) {
        return (n & (n - 1)) == 0 ? radix2Plan(n) : BLUESTEIN.computeIfAbsent(n, Bluestein::of);
    }

    /**
     * In-place DFT of one signal: {@code X[k] = Σ_j x[j]·e^{∓2πi·jk/n}}, with the {@code 1/n} factor and the
     * {@code +} sign when {@code inverse}. Any length {@code n = re.length}, including primes.
     *
     * @param re real parts, overwritten with the result
     * @param im imaginary parts (same length), overwritten with the result
     * @param inverse whether to compute the inverse transform
     */
    public static void fft(double[] re, double[] im, boolean inverse) {
        if (re == null || im == null || re.length != im.length) {
            throw new IllegalArgumentException("fft: re and im must be non-null arrays of one length, got "
                    + (re == null ? "null" : re.length) + " and " + (im == null ? "null" : im.length));
        }
        transform(re, im, re.length, inverse);
    }

    /** DFT of the first {@code n} entries of {@code re}/{@code im} in place. */
    static void transform(double[] re, double[] im, int n, boolean inverse) {
        if (n <= 1) {
            return;
        }
        if (inverse) { // ifft(x) = conj(fft(conj(x))) / n
            negate(im, n);
        }
        plan(n).forward(re, im);
        if (inverse) {
            double s = 1.0 / n;
            for (int i = 0; i < n; i++) {
                re[i] *= s;
                im[i] *= -s;
            }
        }
    }

    private static void negate(double[] a, int n) {
        for (int i = 0; i < n; i++) {
            a[i] = -a[i];
        }
    }

    private static void radix2(Radix2 p, double[] re, double[] im) {
        int n = p.n;
        int[] rev = p.rev;
        for (int i = 0; i < n; i++) {
            int j = rev[i];
            if (i < j) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        double[] wr = p.wr;
        double[] wi = p.wi;
        for (int len = 2; len <= n; len <<= 1) {
            int half = len >> 1;
            int step = n / len;
            for (int k = 0; k < half; k++) {
                double cr = wr[k * step];
                double ci = wi[k * step];
                for (int a = k; a < n; a += len) {
                    int b = a + half;
                    double xr = re[b] * cr - im[b] * ci;
                    double xi = re[b] * ci + im[b] * cr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }

    private static void bluestein(Bluestein p, double[] re, double[] im) {
        int n = p.n;
        int m = p.sub.n;
        double[][] s = SCRATCH.get();
        if (s[0].length < m) {
            s[0] = new double[m];
            s[1] = new double[m];
        }
        double[] ar = s[0];
        double[] ai = s[1];
        double[] cr = p.cr;
        double[] ci = p.ci;
        for (int j = 0; j < n; j++) {
            ar[j] = re[j] * cr[j] - im[j] * ci[j];
            ai[j] = re[j] * ci[j] + im[j] * cr[j];
        }
        java.util.Arrays.fill(ar, n, m, 0);
        java.util.Arrays.fill(ai, n, m, 0);
        radix2(p.sub, ar, ai);
        // pointwise product with the chirp spectrum, conjugated so the next forward FFT acts as an inverse
        for (int k = 0; k < m; k++) {
            double xr = ar[k] * p.br[k] - ai[k] * p.bi[k];
            double xi = ar[k] * p.bi[k] + ai[k] * p.br[k];
            ar[k] = xr;
            ai[k] = -xi;
        }
        radix2(p.sub, ar, ai);
        double scale = 1.0 / m;
        for (int k = 0; k < n; k++) {
            double yr = ar[k] * scale;
            double yi = -ai[k] * scale;
            re[k] = yr * cr[k] - yi * ci[k];
            im[k] = yr * ci[k] + yi * cr[k];
        }
    }

    // ---------------------------------------------------------------- tensors

    /**
     * 2-D DFT over the last two dims: {@code X[..., u, v] = Σ_{y,x} z[..., y, x]·e^{-2πi(uy/h + vx/w)}} with
     * {@code z = re + i·im}; leading dims are a batch. Its inverse is {@link #ifft2}.
     *
     * @param re real parts, rank at least 2
     * @param im imaginary parts of the same shape and dtype, or {@code null} for zeros
     * @return the spectrum, same shape and dtype as {@code re}
     */
    public static Complex fft2(Tensor re, Tensor im) {
        return fft2(re, im, false, "fft2");
    }

    /**
     * Inverse 2-D DFT over the last two dims:
     * {@code z[..., y, x] = (1/hw)·Σ_{u,v} X[..., u, v]·e^{+2πi(uy/h + vx/w)}}; the inverse of {@link #fft2}.
     *
     * @param re real parts, rank at least 2
     * @param im imaginary parts of the same shape and dtype, or {@code null} for zeros
     * @return the signal, same shape and dtype as {@code re}
     */
    public static Complex ifft2(Tensor re, Tensor im) {
        return fft2(re, im, true, "ifft2");
    }

    /**
     * 2-D DFT of a real tensor whose last two dims are first zero-padded (at the end) to {@code h×w}:
     * {@code X[..., u, v] = Σ_{y<kh, x<kw} x[..., y, x]·e^{-2πi(uy/h + vx/w)}}. For a convolution kernel
     * {@code [cout, cin, kh, kw]} and an {@code h×w} input this gives the per-frequency {@code cout×cin} matrices
     * whose largest singular value is the exact spectral norm of the circular convolution.
     *
     * @param x real tensor of rank at least 2 with last dims at most {@code h} and {@code w}
     * @param h padded size of dim -2
     * @param w padded size of dim -1
     * @return the spectrum of shape {@code [..., h, w]}, same dtype as {@code x}
     */
    public static Complex fft2(Tensor x, int h, int w) {
        int[] shape = checkRank(x, "fft2");
        int r = shape.length;
        int kh = shape[r - 2];
        int kw = shape[r - 1];
        if (h < 1 || w < 1 || kh > h || kw > w) {
            throw new IllegalArgumentException("fft2: cannot zero-pad last dims of shape " + Shapes.str(shape)
                    + " to " + h + "x" + w + " (target must be positive and at least " + kh + "x" + kw + ")");
        }
        int[] out = shape.clone();
        out[r - 2] = h;
        out[r - 1] = w;
        int batch = Shapes.numel(out, "fft2") / (h * w);
        double[] src = x.toDoubleArray();
        double[] re = new double[batch * h * w];
        for (int b = 0; b < batch; b++) {
            for (int y = 0; y < kh; y++) {
                System.arraycopy(src, (b * kh + y) * kw, re, (b * h + y) * w, kw);
            }
        }
        double[] im = new double[re.length];
        transform2(re, im, batch, h, w, false);
        return result(re, im, out, x.dtype());
    }

    private static int[] checkRank(Tensor t, String op) {
        if (t == null || t.dim() < 2) {
            throw new IllegalArgumentException(op + ": need a tensor of rank >= 2, got "
                    + (t == null ? "null" : "shape " + Shapes.str(t.shape())));
        }
        return t.shape();
    }

    private static Complex fft2(Tensor re, Tensor im, boolean inverse, String op) {
        int[] shape = checkRank(re, op);
        if (im != null && (!java.util.Arrays.equals(shape, im.shape()) || im.dtype() != re.dtype())) {
            throw new IllegalArgumentException(op + ": re and im must agree in shape and dtype, got "
                    + Shapes.str(shape) + " " + re.dtype() + " and " + Shapes.str(im.shape()) + " " + im.dtype());
        }
        int r = shape.length;
        int h = shape[r - 2];
        int w = shape[r - 1];
        double[] dr = re.toDoubleArray();
        double[] di = im == null ? new double[dr.length] : im.toDoubleArray();
        if (dr.length > 0) {
            transform2(dr, di, dr.length / (h * w), h, w, inverse);
        }
        return result(dr, di, shape, re.dtype());
    }

    private static Complex result(double[] re, double[] im, int[] shape, DType dtype) {
        Tensor tr = Tensor.of(re, shape);
        Tensor ti = Tensor.of(im, shape);
        return new Complex(tr.to(dtype), ti.to(dtype));
    }

    /** In-place 2-D transforms of {@code batch} contiguous {@code h×w} planes: rows, then columns. */
    static void transform2(double[] re, double[] im, int batch, int h, int w, boolean inverse) {
        if (w > 1) {
            Workers.forRange(batch * h, Math.max(1, 8192 / w), (r0, r1) -> {
                double[] br = new double[w];
                double[] bi = new double[w];
                for (int row = r0; row < r1; row++) {
                    int o = row * w;
                    System.arraycopy(re, o, br, 0, w);
                    System.arraycopy(im, o, bi, 0, w);
                    transform(br, bi, w, inverse);
                    System.arraycopy(br, 0, re, o, w);
                    System.arraycopy(bi, 0, im, o, w);
                }
            });
        }
        if (h > 1) {
            Workers.forRange(batch * w, Math.max(1, 8192 / h), (c0, c1) -> {
                double[] br = new double[h];
                double[] bi = new double[h];
                for (int col = c0; col < c1; col++) {
                    int o = (col / w) * h * w + col % w;
                    for (int y = 0; y < h; y++) {
                        br[y] = re[o + y * w];
                        bi[y] = im[o + y * w];
                    }
                    transform(br, bi, h, inverse);
                    for (int y = 0; y < h; y++) {
                        re[o + y * w] = br[y];
                        im[o + y * w] = bi[y];
                    }
                }
            });
        }
    }
}
