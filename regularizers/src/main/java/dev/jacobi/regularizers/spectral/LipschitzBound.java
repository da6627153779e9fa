package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.GramIteration;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.AvgPool2d;
import dev.jacobi.nn.BatchNorm;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.GELU;
import dev.jacobi.nn.LeakyReLU;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Normalize;
import dev.jacobi.nn.Sigmoid;
import java.util.ArrayList;
import java.util.List;

/**
 * An upper bound of a network's ℓ2 Lipschitz constant, {@code Lip(f_n ∘ … ∘ f_1) ≤ Π_l Lip(f_l)}, with the per-layer
 * table it comes from. Layers (walking nested {@code Sequential}s, in eval-mode semantics): Linear {@code ‖W‖₂}
 * (exact SVD); Conv2d (see {@link Row}); {@link SpectralNormalization} as its layer with {@code W/σ}; MaxPool2d
 * {@code ⌈k/s⌉} ({@code 1} non-overlapping: each pixel is in at most {@code ⌈k/s⌉²} windows); AvgPool2d
 * {@code ⌈k/s⌉/k} ({@code √(‖A‖₁‖A‖_∞)}, {@code 1/k} non-overlapping); ReLU, Tanh, Softplus, Identity, Flatten,
 * Dropout (eval) 1; LeakyReLU {@code max(1, |slope|)}; Sigmoid 1/4; GELU {@value #GELU}; Normalize
 * {@code 1/min std} and BatchNorm in eval {@code max|γ|/√(var + eps)} (both diagonal, read by probing the layer).
 * Other layer types are an IllegalArgumentException naming the type.
 *
 * @param rows    one row per leaf layer, in order
 * @param product the product of the rows' bounds
 */
public record LipschitzBound(List<Row> rows, double product) {
    /** {@code max_x d/dx GELU(x) = Φ(√2) + √2·φ(√2) ≈ 1.12890} (erf form; the tanh form is within 1e-4), rounded up. */
    public static final double GELU = 1.129;
    private static final int POWER_STEPS = 300;
    /** Gram-iteration steps for convolutions: the authors' training setting ({@code --bound_n_iter 6}). */
    static final int GRAM_STEPS_CONV = 6;
    /** Gram-iteration steps for dense layers: the authors' notebook setting. */
    static final int GRAM_STEPS_DENSE = 15;

    /**
     * One layer. For a Conv2d: {@code reshaped} is Miyato's heuristic {@code ‖W.reshape(cout, −1)‖₂} (not a bound);
     * {@code operator} is the true operator norm at this input size by power iteration (a converging lower
     * estimate); {@code fourBound} is Singla–Feizi's {@code √(kh·kw)·min(‖R‖,‖S‖,‖T‖,‖U‖)}; {@code exactCircular}
     * is the exact FFT norm of the circular convolution on the (padded) input, which bounds the layer (zero
     * padding: its output is a subset of the circular one on the padded size; circular padding: equal at stride 1).
     * {@code gram} is Delattre et al.'s Gram-iteration bound ({@link GramIteration}) on the same operator as
     * {@code exactCircular} (6 steps), or on a Linear's matrix (15 steps): an upper bound that is cheap where the
     * exact norm is not. The bound used is {@code min(fourBound, exactCircular, gram)}, all rigorous; grouped
     * convolutions take the max over groups. Non-applicable entries are NaN.
     *
     * @param layer         dotted module name
     * @param type          the layer's class name
     * @param outShape      per-example output shape
     * @param reshaped      Miyato's reshaped-matrix norm (Linear: the matrix norm), or NaN
     * @param operator      the operator norm (power iteration / SVD), or NaN
     * @param fourBound     the four-bound, or NaN
     * @param exactCircular the exact circular FFT norm, or NaN
     * @param gram          the Gram-iteration bound, or NaN
     * @param bound         the Lipschitz bound used in the product
     */
    public record Row(String layer, String type, int[] outShape, double reshaped, double operator, double fourBound,
                      double exactCircular, double gram, double bound) {
    }

    /**
     * The per-layer table and product bound of {@code model} on inputs of per-example shape {@code inputShape}.
     *
     * @param model      a Sequential (possibly nested) of supported layers
     * @param inputShape per-example input shape without the batch dim, e.g. {@code [1, 28, 28]} or {@code [784]}
     * @return the table and the product
     */
    public static LipschitzBound of(Layer model, int[] inputShape) {
        if (model == null || inputShape == null) {
            throw new IllegalArgumentException("LipschitzBound.of: model and inputShape must not be null");
        }
        List<Row> rows = new ArrayList<>();
        double product = 1;
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            for (Layers.Traced t : Layers.trace("LipschitzBound", model, inputShape)) {
                Row r = row(t);
                rows.add(r);
                product *= r.bound();
            }
        }
        return new LipschitzBound(List.copyOf(rows), product);
    }

    private static Row row(Layers.Traced t) {
        Layer m = t.layer();
        String type = m.getClass().getSimpleName();
        Layer inner = m instanceof SpectralNormalization sn ? sn.layer() : m;
        if (inner instanceof Linear || inner instanceof Conv2d) {
            Tensor w = Layers.weight(inner).value().to(DType.FLOAT64);
            if (m instanceof SpectralNormalization sn) {
                double sigma = sn.sigma();
                if (!(sigma > 0)) {
                    throw new IllegalArgumentException("LipschitzBound: " + t.name() + " (SpectralNormalization) has "
                            + "no sigma yet (sigma = " + sigma + "); run a forward pass first");
                }
                w = w.div(sigma);
            }
            if (inner instanceof Linear) {
                double s = Linalg.spectralNorm(w);
                double gram = GramIteration.dense(w, GRAM_STEPS_DENSE)[GRAM_STEPS_DENSE];
                return new Row(t.name(), type, t.out(), s, s, Double.NaN, Double.NaN, gram, s);
            }
            return convRow(t, type, w, ((Conv2d) inner).spec());
        }
        return new Row(t.name(), type, t.out(), Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                fixed(m, t.in()));
    }

    private static Row convRow(Layers.Traced t, String type, Tensor w, Conv2dSpec s) {
        int h = t.in()[1];
        int wd = t.in()[2];
        double reshaped = Linalg.spectralNorm(w.reshape(w.shape()[0], -1));
        double operator = ConvSpectralNorm.operatorNorm(w, s, h, wd, false, POWER_STEPS);
        int g = s.groups();
        int per = w.shape()[0] / g;
        double four = 0;
        double circ = 0;
        double gram = 0;
        for (int i = 0; i < g; i++) {
            Tensor k = dilate(w.narrow(0, i * per, per), s.dilationH(), s.dilationW());
            four = Math.max(four, ConvSpectralNorm.fantasticFour(k).bound());
            circ = Math.max(circ, circularBound(k, s, h, wd, t.out(), false));
            gram = Math.max(gram, circularBound(k, s, h, wd, t.out(), true));
        }
        double bound = Double.isNaN(circ) ? four : Math.min(four, Math.min(circ, gram));
        return new Row(t.name(), type, t.out(), reshaped, operator, four, circ, gram, bound);
    }

    /**
     * The exact circular norm that bounds this layer (or with {@code gram} its Gram-iteration bound), or NaN when
     * circular padding wraps outputs onto each other.
     */
    private static double circularBound(Tensor k, Conv2dSpec s, int h, int w, int[] out, boolean gram) {
        int n = h;
        int m = w;
        if (s.mode() == PaddingMode.ZEROS) {
            n = h + 2 * s.padH();
            m = w + 2 * s.padW();
        } else {
            boolean distinct = (out[1] - 1) * s.strideH() < h && (out[2] - 1) * s.strideW() < w;
            if (!distinct || k.shape()[2] > h || k.shape()[3] > w) {
                return Double.NaN;
            }
        }
        return gram ? GramIteration.circular(k, n, m, GRAM_STEPS_CONV)[GRAM_STEPS_CONV]
                : ConvSpectralNorm.exactCircular(k, n, m);
    }

    /** The kernel with {@code d − 1} zeros between taps: the same convolution without dilation. */
    private static Tensor dilate(Tensor k, int dh, int dw) {
        if (dh == 1 && dw == 1) {
            return k;
        }
        int[] s = k.shape();
        int kh = (s[2] - 1) * dh + 1;
        int kw = (s[3] - 1) * dw + 1;
        double[] src = k.contiguous().toDoubleArray();
        double[] out = new double[s[0] * s[1] * kh * kw];
        for (int c = 0; c < s[0] * s[1]; c++) {
            for (int a = 0; a < s[2]; a++) {
                for (int b = 0; b < s[3]; b++) {
                    out[(c * kh + a * dh) * kw + b * dw] = src[(c * s[2] + a) * s[3] + b];
                }
            }
        }
        return Tensor.of(out, s[0], s[1], kh, kw);
    }

    /** The Lipschitz constant of a parameter-free or diagonal layer. */
    private static double fixed(Layer m, int[] in) {
        if (m instanceof LipschitzLayer l) {
            return l.lipschitzConstant();
        }
        if (m instanceof MaxPool2d p) {
            return Math.ceil((double) p.kernel() / p.stride());
        }
        if (m instanceof AvgPool2d p) {
            return Math.ceil((double) p.kernel() / p.stride()) / p.kernel();
        }
        if (m instanceof Sigmoid) {
            return 0.25;
        }
        if (m instanceof GELU) {
            return GELU;
        }
        if (m instanceof LeakyReLU) {
            double slope = -m.forward(Tensor.of(new double[] {-1}, 1, 1).to(DType.FLOAT32)).value().item();
            return Math.max(1, Math.abs(slope));
        }
        if (m instanceof Normalize || m instanceof BatchNorm) {
            return diagonal(m, in);
        }
        return 1; // ReLU, Tanh, Softplus, Identity, Flatten, Dropout in eval
    }

    /** {@code max |f(1) − f(0)|} of a per-channel affine layer, probed in eval mode (its state is not touched). */
    private static double diagonal(Layer m, int[] in) {
        int[] shape = new int[in.length + 1];
        shape[0] = 1;
        System.arraycopy(in, 0, shape, 1, in.length);
        boolean training = m.isTraining();
        m.eval();
        try {
            DType dt = m.parameters().isEmpty() ? DType.FLOAT64 : m.parameters().get(0).dtype();
            Tensor one = m.forward(Tensor.ones(dt, shape)).value();
            Tensor zero = m.forward(Tensor.zeros(dt, shape)).value();
            return one.sub(zero).abs().max().item();
        } finally {
            m.train(training);
        }
    }

    /** The table, one layer per line, and the product. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(String.format("%-10s %-22s %-16s %10s %10s %10s %10s %10s %10s%n",
                "layer", "type", "out shape", "reshaped", "operator", "four", "circular", "gram", "bound"));
        for (Row r : rows) {
            sb.append(String.format("%-10s %-22s %-16s %10s %10s %10s %10s %10s %10.4f%n", r.layer(), r.type(),
                    Shapes.str(r.outShape()), num(r.reshaped()), num(r.operator()), num(r.fourBound()),
                    num(r.exactCircular()), num(r.gram()), r.bound()));
        }
        return sb.append(String.format("product bound %.6g%n", product)).toString();
    }

    private static String num(double x) {
        return Double.isNaN(x) ? "-" : String.format("%.4f", x);
    }
}
