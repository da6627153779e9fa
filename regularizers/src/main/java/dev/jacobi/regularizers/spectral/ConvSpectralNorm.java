package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.ConvSpectra;
import dev.jacobi.core.linalg.Linalg;

/**
 * Spectral norms of a 2-D convolution with kernel {@code J [cout, cin, h, w]}: the true operator norm by power
 * iteration ({@link #operatorNorm}), the exact circular spectrum via the FFT (Sedghi et al. 2019,
 * {@link #exactCircular}, {@link #singularValuesCircular}, {@link #clipCircular}) and the four differentiable
 * upper bounds of Singla and Feizi 2021, {@code σ(conv_J) ≤ √(h·w)·min(‖R‖₂, ‖S‖₂, ‖T‖₂, ‖U‖₂)}
 * ({@link #fantasticFour}), where {@code R = J} permuted to {@code [cout, h, cin, w]} as {@code (cout·h)×(cin·w)},
 * {@code S = [cout, w, cin, h]} as {@code (cout·w)×(cin·h)}, {@code T = J} as {@code cout×(cin·h·w)} (Miyato's
 * reshaped matrix) and {@code U = [cin, cout, h, w]} as {@code cin×(cout·h·w)}. The bound holds for zero and
 * circular padding and any stride.
 *
 * <p>An instance holds the persistent power-iteration vectors of the four matrices of one kernel, for the
 * differentiable {@link #fantasticFour(Var)}; the static methods are one-shot.
 */
public final class ConvSpectralNorm {
    /** Singla and Feizi's warm-up: power steps on the first {@link #fantasticFour(Var)}. */
    public static final int FOUR_WARMUP = 50;
    private static final int[][] PERMS = {{0, 2, 1, 3}, {0, 3, 1, 2}, {0, 1, 2, 3}, {1, 0, 2, 3}};
    private static final int[] ROW_DIMS = {2, 2, 1, 1};
    private static final String NAMES = "RSTU";

    /**
     * The four norms of a kernel and the bound {@code √(h·w)·min(r, s, t, u)}.
     *
     * @param r      {@code ‖R‖₂}, R = {@code [cout·h, cin·w]}
     * @param s      {@code ‖S‖₂}, S = {@code [cout·w, cin·h]}
     * @param t      {@code ‖T‖₂}, T = {@code [cout, cin·h·w]} (Miyato's reshaped kernel)
     * @param u      {@code ‖U‖₂}, U = {@code [cin, cout·h·w]}
     * @param factor {@code √(h·w)}, the filter size factor
     */
    public record FourBounds(double r, double s, double t, double u, double factor) {
        /** {@code min(r, s, t, u)}. @return the smallest of the four norms */
        public double min() {
            return Math.min(Math.min(r, s), Math.min(t, u));
        }

        /** {@code √(h·w)·min(r, s, t, u) ≥ σ(conv_J)}. @return the bound */
        public double bound() {
            return factor * min();
        }

        /** Which term attains the minimum. @return 'R', 'S', 'T' or 'U' */
        public char winner() {
            double[] all = {r, s, t, u};
            return NAMES.charAt(argmin(all));
        }
    }

    private final SpectralNorm[] four = new SpectralNorm[4];
    private FourBounds last;

    /**
     * Persistent state for the four-bound of one kernel.
     *
     * @param seed seed of the four random start vectors
     */
    public ConvSpectralNorm(long seed) {
        for (int i = 0; i < 4; i++) {
            four[i] = SpectralNorm.matrix(FOUR_WARMUP, seed + 7919L * i);
        }
    }

    /**
     * The differentiable four-bound {@code √(h·w)·min(‖R‖, ‖S‖, ‖T‖, ‖U‖)} after one power step of each matrix;
     * see {@link #fantasticFour(Var, int)}.
     *
     * @param kernel the kernel {@code [cout, cin, h, w]}
     * @return the scalar bound
     */
    public Var fantasticFour(Var kernel) {
        return fantasticFour(kernel, 1);
    }

    /**
     * The differentiable four-bound {@code √(h·w)·min(‖R‖, ‖S‖, ‖T‖, ‖U‖)}: {@code steps} power steps of each of the
     * four matrices without graph (plus {@value #FOUR_WARMUP} on the first call), then {@code σᵢ = uᵢᵀMᵢvᵢ} with the
     * vectors constant; the gradient flows through the smallest term only. With {@code steps = 0} after the first
     * call the vectors stay fixed, so the result is a fixed function of the kernel.
     *
     * @param kernel the kernel {@code [cout, cin, h, w]}
     * @param steps  power steps, at least 0
     * @return the scalar bound
     */
    public Var fantasticFour(Var kernel, int steps) {
        Tensor k = kernel == null ? null : kernel.value();
        checkKernel("fantasticFour", k);
        double[] sig = new double[4];
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            for (int i = 0; i < 4; i++) {
                sig[i] = four[i].update(matrix(k, i), steps);
            }
        }
        int[] ks = k.shape();
        last = new FourBounds(sig[0], sig[1], sig[2], sig[3], Math.sqrt((double) ks[2] * ks[3]));
        int i = argmin(sig);
        return four[i].sigma(kernel.permute(PERMS[i]).reshape(matShape(ks, i))).mul(last.factor());
    }

    /**
     * The four norms seen by the last {@link #fantasticFour(Var)}.
     *
     * @return the bounds, or null before the first call
     */
    public FourBounds lastBounds() {
        return last;
    }

    /**
     * The four norms of {@code kernel} from exact SVDs, and their bound {@code √(h·w)·min ≥ σ(conv_J)}.
     *
     * @param kernel the kernel {@code [cout, cin, h, w]}, finite
     * @return the four norms and the factor
     */
    public static FourBounds fantasticFour(Tensor kernel) {
        checkKernel("fantasticFour", kernel);
        double[] sig = new double[4];
        for (int i = 0; i < 4; i++) {
            sig[i] = Linalg.spectralNorm(matrix(kernel, i));
        }
        int[] ks = kernel.shape();
        return new FourBounds(sig[0], sig[1], sig[2], sig[3], Math.sqrt((double) ks[2] * ks[3]));
    }

    /**
     * The true operator norm {@code σ(conv_J)} of a convolution layer on {@code h×w} inputs, with its stride,
     * padding, dilation and groups, by {@code steps} power steps from a seeded start (a lower estimate that
     * converges to the exact value); see {@link SpectralNorm#conv}. A transposed convolution producing {@code h×w}
     * outputs has the same norm.
     *
     * @param kernel     the kernel {@code [cout, cin/groups, kh, kw]}
     * @param spec       the layer's spec
     * @param h          input height (output height of a transposed convolution)
     * @param w          input width likewise
     * @param transposed iterate on the transposed convolution instead
     * @param steps      power steps
     * @return the estimate of the operator norm
     */
    public static double operatorNorm(Tensor kernel, Conv2dSpec spec, int h, int w, boolean transposed, int steps) {
        return SpectralNorm.conv(spec, h, w, transposed, 0, 1).update(kernel, steps);
    }

    /**
     * The exact operator norm {@code max_{p,q} σ_max(P̂[p,q])} of the convolution with CIRCULAR padding on
     * {@code h×w} inputs, stride 1 (Sedghi et al.), from {@link ConvSpectra#operatorNorm}.
     *
     * @param kernel the kernel {@code [cout, cin, kh, kw]}
     * @param h      input height, at least {@code kh}
     * @param w      input width, at least {@code kw}
     * @return the exact circular operator norm
     */
    public static double exactCircular(Tensor kernel, int h, int w) {
        return ConvSpectra.operatorNorm(kernel, h, w);
    }

    /**
     * All {@code h·w·min(cout, cin)} singular values of the circular convolution on {@code h×w} inputs, descending:
     * the union over frequencies of {@code σ(P̂[p,q])}, from {@link ConvSpectra#singularValues}.
     *
     * @param kernel the kernel {@code [cout, cin, kh, kw]}
     * @param h      input height, at least {@code kh}
     * @param w      input width, at least {@code kw}
     * @return FLOAT64 singular values, descending
     */
    public static Tensor singularValuesCircular(Tensor kernel, int h, int w) {
        return ConvSpectra.singularValues(kernel, h, w);
    }

    /**
     * Projection onto {@code σ_circ(conv_J) ≤ τ} on {@code h×w} inputs: Sedghi's clip (every frequency's singular
     * values clipped to {@code τ}, inverse FFT, crop to {@code kh×kw}; {@link ConvSpectra#clip}), then, because the
     * crop can leave the norm slightly above {@code τ}, a rescale by {@code τ/σ} if the exact circular norm still
     * exceeds {@code τ}. The result always satisfies {@code exactCircular(result, h, w) ≤ τ} (to rounding).
     *
     * @param kernel the kernel {@code [cout, cin, kh, kw]}
     * @param h      input height, at least {@code kh}
     * @param w      input width, at least {@code kw}
     * @param tau    the radius, finite and non-negative
     * @return the projected kernel, same shape and dtype
     */
    public static Tensor clipCircular(Tensor kernel, int h, int w, double tau) {
        Tensor clipped = ConvSpectra.clip(kernel, h, w, tau);
        double sigma = ConvSpectra.operatorNorm(clipped, h, w);
        return sigma > tau ? clipped.mul(tau / sigma) : clipped;
    }

    /** Matrix {@code i} (R, S, T, U) of a kernel, as a contiguous 2-D tensor. */
    static Tensor matrix(Tensor kernel, int i) {
        return kernel.permute(PERMS[i]).reshape(matShape(kernel.shape(), i));
    }

    private static int[] matShape(int[] k, int i) {
        int[] p = new int[4];
        for (int j = 0; j < 4; j++) {
            p[j] = k[PERMS[i][j]];
        }
        int rows = 1;
        for (int j = 0; j < ROW_DIMS[i]; j++) {
            rows *= p[j];
        }
        return new int[] {rows, p[0] * p[1] * p[2] * p[3] / rows};
    }

    private static void checkKernel(String op, Tensor kernel) {
        if (kernel == null || kernel.dim() != 4) {
            throw new IllegalArgumentException(op + ": kernel must be [cout, cin, kh, kw], got "
                    + (kernel == null ? "null" : Shapes.str(kernel.shape())));
        }
    }

    private static int argmin(double[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] < a[best]) {
                best = i;
            }
        }
        return best;
    }
}
