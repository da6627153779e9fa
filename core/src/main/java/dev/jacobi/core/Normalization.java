package dev.jacobi.core;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.Workers;

/**
 * Batch normalisation in training mode, forward and backward, as fused passes over each channel (PyTorch's
 * {@code native_batch_norm} and {@code native_batch_norm_backward} on the CPU): the statistics in two reading passes
 * (the mean, then the squared deviations from it), the output {@code x·s + t} in one, and the three gradients in
 * two more. A ReLU after the normalisation can be folded into the output pass and, through its mask, into the
 * backward. Channels are dim 1 of {@code x [N, C, ...]}; work is split over channels, so results do not depend on
 * the thread count. An {@code [N, C]} input, whose channels come in runs of one value, runs the same formulas as
 * broadcast ops, which go along the rows instead.
 */
public final class Normalization {
    private Normalization() {
    }

    /**
     * A training-mode batch norm's output and the batch statistics it used, per channel ({@code [C]}, in
     * {@code x}'s dtype): the mean, the biased variance and {@code 1/√(var + eps)}.
     */
    public record BatchNorm(Tensor output, Tensor mean, Tensor var, Tensor invstd) {
    }

    /**
     * {@code y = (x − μ)/√(σ² + eps)·γ + β} with the batch mean {@code μ} and biased variance {@code σ²} of each channel
     * (over every dim but 1), computed as PyTorch's CPU kernel computes it: {@code x·s + t} with
     * {@code s = γ/√(σ² + eps)} and {@code t = β − μ·s}; then {@code max(y, 0)} if {@code relu}.
     *
     * @param x      input {@code [N, C, ...]} with more than one value per channel
     * @param weight {@code γ}, {@code [C]}
     * @param bias   {@code β}, {@code [C]}
     * @param eps    added to the variance, {@code > 0}
     * @param relu   whether a ReLU follows
     * @return the output (row-major, {@code x}'s shape) and the statistics
     * @throws IllegalArgumentException on a shape, dtype or eps that does not fit
     */
    public static BatchNorm batchNorm(Tensor x, Tensor weight, Tensor bias, double eps, boolean relu) {
        Layout l = layout("batchNorm", x, weight, bias);
        if (!(eps > 0)) {
            throw new IllegalArgumentException("batchNorm: eps must be > 0, got " + eps);
        }
        if (l.shortRuns()) {
            // broadcast ops, which run along the rows of C·inner values
            Tensor x3 = x.reshape(l.n, l.c, l.inner);
            Tensor mean = x3.mean(new int[] {0, 2}, true);
            Tensor var = x3.sub(mean).square().mean(new int[] {0, 2}, true);
            Tensor invstd = Tensor.ones(x.dtype, 1, l.c, 1).div(var.add(eps).sqrt());
            Tensor scale = weight.reshape(1, l.c, 1).mul(invstd);
            Tensor shift = bias.reshape(1, l.c, 1).sub(mean.mul(scale));
            Tensor y = relu ? x3.mul(scale).addRelu(shift) : x3.mul(scale).add(shift);
            return new BatchNorm(y.reshape(x.shape), mean.reshape(l.c), var.reshape(l.c), invstd.reshape(l.c));
        }
        Tensor xc = x.contiguous();
        int xo = xc.offset;
        double[] w = weight.toDoubleArray();
        double[] b = bias.toDoubleArray();
        double[] mean = new double[l.c];
        double[] var = new double[l.c];
        double[] invstd = new double[l.c];
        Tensor out = Tensor.uninitialized(x.dtype, x.shape);
        Workers.forRange(l.c, l.grain(), (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double s = 0;
                for (int n = 0; n < l.n; n++) {
                    s += sum(xc, xo + l.at(n, c), l.inner);
                }
                mean[c] = s / l.count();
                double ss = 0;
                for (int n = 0; n < l.n; n++) {
                    ss += squaredDeviations(xc, xo + l.at(n, c), l.inner, mean[c]);
                }
                var[c] = ss / l.count();
                invstd[c] = 1 / Math.sqrt(var[c] + eps);
                double scale = w[c] * invstd[c];
                double shift = b[c] - mean[c] * scale;
                for (int n = 0; n < l.n; n++) {
                    scaleShift(xc, xo + l.at(n, c), scale, shift, relu, out, l.at(n, c), l.inner);
                }
            }
        });
        return new BatchNorm(out, vector(x.dtype, mean), vector(x.dtype, var), vector(x.dtype, invstd));
    }

    /**
     * The gradients of a training-mode {@link #batchNorm} for the output cotangent {@code g}: with
     * {@code m = g} (or {@code g} where {@code output > 0} if a ReLU followed), {@code x̂ = (x − μ)·invstd} and
     * {@code n} values per channel, {@code ∂β = Σm}, {@code ∂γ = Σ m·x̂} and
     * {@code ∂x = γ·invstd·(m − ∂β/n − x̂·∂γ/n)}.
     *
     * @param g      the output's cotangent, {@code x}'s shape
     * @param output the output if a ReLU followed (its mask), else null
     * @param x      the input
     * @param mean   the batch mean {@code [C]} the forward used
     * @param invstd the {@code 1/√(var + eps)} {@code [C]} the forward used
     * @param weight {@code γ}, {@code [C]}
     * @return {@code {∂x, ∂γ, ∂β}}
     */
    public static Tensor[] batchNormBackward(Tensor g, Tensor output, Tensor x, Tensor mean, Tensor invstd,
                                             Tensor weight) {
        Layout l = layout("batchNormBackward", x, weight, mean, invstd);
        for (Tensor t : output == null ? new Tensor[] {g} : new Tensor[] {g, output}) {
            if (!java.util.Arrays.equals(t.shape, x.shape) || t.dtype != x.dtype) {
                throw new IllegalArgumentException("batchNormBackward: the cotangent and output must be " + x.dtype
                        + " " + Shapes.str(x.shape) + " as the input, got " + t.dtype + " " + Shapes.str(t.shape));
            }
        }
        if (l.shortRuns()) {
            int[] s3 = {l.n, l.c, l.inner};
            int[] dims = {0, 2};
            Tensor m = output == null ? g.reshape(s3) : g.reshape(s3).thresholdBackward(output.reshape(s3));
            Tensor is = invstd.reshape(1, l.c, 1);
            Tensor centred = x.reshape(s3).sub(mean.reshape(1, l.c, 1));
            Tensor gb = m.sum(dims, true);
            Tensor gw = m.mul(centred).sum(dims, true).mul(is);
            Tensor k1 = weight.reshape(1, l.c, 1).mul(is);
            Tensor k2 = k1.mul(is).mul(gw).mul(-1.0 / l.count());
            Tensor k3 = k1.mul(gb).mul(-1.0 / l.count());
            Tensor gx = m.mul(k1).add(centred.mul(k2)).add(k3);
            return new Tensor[] {gx.reshape(x.shape), gw.reshape(l.c), gb.reshape(l.c)};
        }
        Tensor xc = x.contiguous();
        Tensor gc = g.contiguous();
        Tensor yc = output == null ? null : output.contiguous();
        double[] w = weight.toDoubleArray();
        double[] mu = mean.toDoubleArray();
        double[] is = invstd.toDoubleArray();
        double[] gw = new double[l.c];
        double[] gb = new double[l.c];
        Tensor gx = Tensor.uninitialized(x.dtype, x.shape);
        Workers.forRange(l.c, l.grain(), (c0, c1) -> {
            double[] sums = new double[2];
            for (int c = c0; c < c1; c++) {
                sums[0] = 0;
                sums[1] = 0;
                for (int n = 0; n < l.n; n++) {
                    maskedSums(gc, yc, xc, l.at(n, c), mu[c], l.inner, sums);
                }
                gb[c] = sums[0];
                gw[c] = sums[1] * is[c];
                double k1 = w[c] * is[c];
                double k2 = -k1 * is[c] * gw[c] / l.count();
                double k3 = -k1 * gb[c] / l.count();
                for (int n = 0; n < l.n; n++) {
                    maskedAffine(gc, yc, xc, l.at(n, c), mu[c], k1, k2, k3, gx, l.inner);
                }
            }
        });
        return new Tensor[] {gx, vector(x.dtype, gw), vector(x.dtype, gb)};
    }

    /**
     * {@code x [N, C, inner...]} seen as N·C runs of {@code inner} values; {@code at(n, c)} is a run's position in a
     * row-major tensor of that shape.
     */
    private record Layout(int n, int c, int inner) {
        int at(int i, int ch) {
            return (i * c + ch) * inner;
        }

        long count() {
            return (long) n * inner;
        }

        /**
         * Whether each run is a single value ({@code [N, C]} inputs) while there are several per channel: the same
         * formulas then run as broadcast ops along the rows, 3–7× faster than runs of one value (from runs of 2
         * on, the runs were 1.4–7× faster than broadcast ops; 128 rows, JDK 25, AVX-512).
         */
        boolean shortRuns() {
            return inner < 2 && n > 1;
        }

        /** Channels per task: at least 32K values each. */
        int grain() {
            return (int) Math.max(1, (1 << 15) / Math.max(1, count()));
        }
    }

    private static Layout layout(String op, Tensor x, Tensor... perChannel) {
        if (x.shape.length < 2) {
            throw new IllegalArgumentException(op + ": the input must be [N, C, ...], got " + Shapes.str(x.shape));
        }
        int c = x.shape[1];
        for (Tensor t : perChannel) {
            if (t.shape.length != 1 || t.shape[0] != c || t.dtype != x.dtype) {
                throw new IllegalArgumentException(op + ": per-channel tensors must be " + x.dtype + " [" + c
                        + "] for the input " + Shapes.str(x.shape) + ", got " + t.dtype + " " + Shapes.str(t.shape));
            }
        }
        int n = x.shape[0];
        int inner = c == 0 || n == 0 ? 0 : x.numel() / (n * c);
        if ((long) n * inner <= 1) {
            throw new IllegalArgumentException(op + ": expected more than 1 value per channel, got input "
                    + Shapes.str(x.shape));
        }
        return new Layout(n, c, inner);
    }

    private static Tensor vector(DType dtype, double[] v) {
        return Tensor.of(v, v.length).to(dtype);
    }

    // the per-run loops: float32 through the kernels (vectorised where the Vector API runs), float64 in plain Java

    private static final Kernels K = Backend.KERNELS;

    private static double sum(Tensor x, int off, int n) {
        if (x.dtype == DType.FLOAT32) {
            return K.sum(x.f(), off, n);
        }
        double[] a = x.d();
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[off + i];
        }
        return s;
    }

    private static double squaredDeviations(Tensor x, int off, int n, double c) {
        if (x.dtype == DType.FLOAT32) {
            return K.sumSquaredDeviations(x.f(), off, n, (float) c);
        }
        double[] a = x.d();
        double s = 0;
        for (int i = 0; i < n; i++) {
            double d = a[off + i] - c;
            s += d * d;
        }
        return s;
    }

    private static void scaleShift(Tensor x, int off, double s, double t, boolean relu, Tensor out, int oo, int n) {
        if (x.dtype == DType.FLOAT32) {
            K.scaleShift(x.f(), off, (float) s, (float) t, relu, out.f(), oo, n);
            return;
        }
        double[] a = x.d();
        double[] o = out.d();
        for (int i = 0; i < n; i++) {
            double v = a[off + i] * s + t;
            o[oo + i] = relu && !(v > 0) && v == v ? 0 : v;
        }
    }

    /** {@link Kernels#maskedSums} at the run starting {@code rel} values into each (contiguous) tensor. */
    private static void maskedSums(Tensor g, Tensor y, Tensor x, int rel, double c, int n, double[] sums) {
        if (x.dtype == DType.FLOAT32) {
            K.maskedSums(g.f(), g.offset + rel, y == null ? null : y.f(), y == null ? 0 : y.offset + rel, x.f(),
                    x.offset + rel, (float) c, n, sums);
            return;
        }
        double[] gd = g.d();
        double[] yd = y == null ? null : y.d();
        double[] xd = x.d();
        for (int i = 0; i < n; i++) {
            double m = yd == null || yd[y.offset + rel + i] > 0 ? gd[g.offset + rel + i] : 0;
            sums[0] += m;
            sums[1] += m * (xd[x.offset + rel + i] - c);
        }
    }

    /** {@link Kernels#maskedAffine} at the run starting {@code rel} values into each tensor; {@code out} is fresh. */
    private static void maskedAffine(Tensor g, Tensor y, Tensor x, int rel, double c, double k1, double k2, double k3,
                                     Tensor out, int n) {
        if (x.dtype == DType.FLOAT32) {
            K.maskedAffine(g.f(), g.offset + rel, y == null ? null : y.f(), y == null ? 0 : y.offset + rel, x.f(),
                    x.offset + rel, (float) c, (float) k1, (float) k2, (float) k3, out.f(), rel, n);
            return;
        }
        double[] gd = g.d();
        double[] yd = y == null ? null : y.d();
        double[] xd = x.d();
        double[] od = out.d();
        for (int i = 0; i < n; i++) {
            double m = yd == null || yd[y.offset + rel + i] > 0 ? gd[g.offset + rel + i] : 0;
            od[rel + i] = k1 * m + ((xd[x.offset + rel + i] - c) * k2 + k3);
        }
    }
}
