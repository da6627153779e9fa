package dev.jacobi.regularizers.roll;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.DType;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Identity;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Normalize;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Regularizer;
import dev.jacobi.nn.Sequential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Locally linear networks (ROLL, Lee et al. 2019) for piecewise-linear models built from {@link Linear},
 * {@link Conv2d}, {@link ReLU}, {@link MaxPool2d}, {@link Flatten}, {@link Normalize}, {@link Identity} and
 * {@link Sequential}.
 * <ul>
 *   <li>Margins: the exact radius of the linear region around x, {@code ε̂_p(x) = min_j |z_j(x)| / ‖∇ₓ z_j‖_q}
 *       over every ReLU pre-activation {@code z_j} and every max-pool comparison {@code z_max − z_other}, with
 *       {@code q} the dual norm of {@code p} (2↔2, ∞↔1, 1↔∞). Gradients are taken with respect to the model's own
 *       input, so a leading {@link Normalize} is accounted for and margins are in raw input units.</li>
 *   <li>The relaxed regularizer {@code mean_{i,j}[‖∇ₓ z_j(xᵢ)‖₂² + C·max(0, 1 − |z_j(xᵢ)|)]} over the ReLU neurons,
 *       with the activation pattern frozen at x (first order only).</li>
 * </ul>
 * The input gradients of all neurons come from the frozen-mask perturbation method (push {@code [x; x+e₁; …; x+e_D]}
 * through the network, now linear, and take differences) or, for MLPs of Linear/ReLU layers, from the Gram recursion
 * {@code G₁ = W₁W₁ᵀ}, {@code Gᵢ = Wᵢ D_{i−1} G_{i−1} D_{i−1} Wᵢᵀ}, {@code ‖∇z^i_j‖² = (Gᵢ)_jj}; both agree to rounding.
 */
public final class Roll implements Regularizer {
    /** How the neurons' input gradients are computed. */
    public enum Method {
        /** Gram recursion (MLPs of Linear and ReLU layers, optionally after a Flatten). */
        GRAM,
        /** Frozen-mask perturbation (any supported piecewise-linear model). */
        PERTURBATION
    }

    private final double c;
    private final Method method;

    /** The relaxed ROLL regularizer with hinge weight {@code C ≥ 0}. */
    public Roll(double c, Method method) {
        if (!(c >= 0) || method == null) {
            throw new IllegalArgumentException("Roll: want C >= 0 and a method, got C=" + c + ", method=" + method);
        }
        this.c = c;
        this.method = method;
    }

    @Override
    public Var penalty(Layer model, Batch batch, long step) {
        return penalty(model, batch.x());
    }

    /** {@code mean_{i,j}[‖∇ₓ z_j(xᵢ)‖² + C·max(0, 1 − |z_j(xᵢ)|)]}, masks frozen, with a graph to the parameters. */
    public Var penalty(Layer model, Tensor x) {
        try (var ignored = Autodiff.enableGrad()) {
            Var[] t = neuronTerms(model, x, method);
            return t[1].add(t[0].abs().neg().add(1).relu().mul(c)).mean();
        }
    }

    /** {@code ‖∇ₓ z_j(xᵢ)‖₂²} of every ReLU neuron, {@code [N, neurons]} (layers in order), no graph. */
    public static Tensor gradNormsSquared(Layer model, Tensor x, Method method) {
        try (var ignored = Autodiff.noGrad()) {
            return neuronTerms(model, x, method)[1].value();
        }
    }

    /** {@code [z [N, U], ‖∇z‖² [N, U]]} over all ReLU neurons. */
    private static Var[] neuronTerms(Layer model, Tensor x, Method method) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("Roll: inputs must be [N, ...], got " + Shapes.str(x.shape()));
        }
        List<Layer> layers = layers(model);
        List<Var> zs = new ArrayList<>();
        List<Var> sq = new ArrayList<>();
        if (method == Method.GRAM) {
            gram(layers, x, zs, sq);
        } else {
            Frozen f = new Frozen(layers, x);
            for (Var z : f.pre) {
                Var base = z.narrow(1, 0, 1);
                zs.add(base.reshape(f.n, -1));
                sq.add(z.narrow(1, 1, f.d).sub(base).square().sum(1, false));
            }
        }
        if (zs.isEmpty()) {
            throw new IllegalArgumentException("Roll: the model has no ReLU layer");
        }
        return new Var[] {Var.cat(zs, 1), Var.cat(sq, 1)};
    }

    /**
     * The Gram recursion on active neurons only. With {@code J} the input Jacobian of a layer's pre-activations and
     * {@code S} its active neurons, the next layer's is {@code W[:, S] J[S, :]}, so its Gram matrix needs only
     * {@code G[S, S] = J[S, :] J[S, :]ᵀ}. Each example keeps its own {@code S}, padded to the batch's largest with
     * rows and columns of zeros; {@code b} holds {@code W[:, S]ᵀ} ([N, K, U]) and {@code gb = G[S, S]·b}.
     */
    private static void gram(List<Layer> layers, Tensor x, List<Var> zs, List<Var> sq) {
        int n = x.shape()[0];
        Var h = Var.of(x.reshape(n, -1));
        Var g = null;
        Active prev = null;
        for (int i = 0; i < layers.size(); i++) {
            Layer m = layers.get(i);
            if (m instanceof Flatten && i == 0) {
                continue;
            }
            if (!(m instanceof Linear lin)) {
                throw new IllegalArgumentException("Roll: the Gram method needs an MLP of Linear and ReLU layers, got "
                        + m.getClass().getSimpleName() + " at position " + i + "; use Method.PERTURBATION");
            }
            boolean hidden = i + 1 < layers.size() && layers.get(i + 1) instanceof ReLU;
            if (!hidden && i + 1 < layers.size()) {
                throw new IllegalArgumentException("Roll: the Gram method needs Linear layers followed by ReLU (or last),"
                        + " got " + layers.get(i + 1).getClass().getSimpleName() + " at position " + (i + 1));
            }
            if (!hidden) {
                break;
            }
            Var w = lin.weight().var();
            Var z = lin.forward(h);
            Tensor mask = z.value().gt(0);
            int u = w.shape()[0];
            boolean last = !(i + 3 < layers.size() && layers.get(i + 3) instanceof ReLU);
            Active cur = last ? null : new Active(mask);
            if (g == null) {
                sq.add(w.square().sum(-1, false).expand(n, u));
                if (!last) {
                    Var rows = w.matmul(w.t()).indexSelect(0, cur.flat).reshape(n, cur.k, u);
                    g = rows.gather(2, cur.columns(cur.k)).mul(Var.of(cur.pairs));
                }
            } else {
                Var b = w.t().indexSelect(0, prev.flat).reshape(n, prev.k, u);
                Var gb = g.matmul(b);
                sq.add(gb.mul(b).sum(1, false));
                if (!last) {
                    int[] cols = cur.columns(prev.k);
                    g = gb.gather(2, cols).mT().matmul(b.gather(2, cols)).mul(Var.of(cur.pairs));
                }
            }
            zs.add(z);
            prev = cur;
            h = z.mul(mask);
            i++;
        }
    }

    /** Each example's active neurons, padded with neuron 0 to the batch's largest count {@code k}. */
    private static final class Active {
        final int n;
        final int k;
        /** {@code [N·k]}: example e's active neurons at {@code e·k …}. */
        final int[] flat;
        /** {@code [N, k, k]}: 1 where both entries are real neurons, 0 where either is padding. */
        final Tensor pairs;

        Active(Tensor mask) {
            n = mask.shape()[0];
            int u = mask.shape()[1];
            double[] m = mask.toDoubleArray();
            int most = 1;
            int[] count = new int[n];
            for (int e = 0; e < n; e++) {
                for (int j = 0; j < u; j++) {
                    count[e] += m[e * u + j] > 0 ? 1 : 0;
                }
                most = Math.max(most, count[e]);
            }
            k = most;
            flat = new int[n * k];
            double[] pair = new double[n * k * k];
            for (int e = 0; e < n; e++) {
                for (int j = 0, c = 0; j < u; j++) {
                    if (m[e * u + j] > 0) {
                        flat[e * k + c++] = j;
                    }
                }
                for (int r = 0; r < count[e]; r++) {
                    Arrays.fill(pair, (e * k + r) * k, (e * k + r) * k + count[e], 1);
                }
            }
            pairs = Tensor.of(pair, n, k, k).to(mask.dtype());
        }

        /** A gather index along dim 2 of {@code [N, rows, U]} that keeps each example's active columns. */
        int[] columns(int rows) {
            int[] idx = new int[n * rows * k];
            for (int e = 0; e < n; e++) {
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(flat, e * k, idx, (e * rows + r) * k, k);
                }
            }
            return idx;
        }
    }

    /** The modules of a model in forward order, Sequentials flattened; unsupported modules are an error. */
    public static List<Layer> layers(Layer model) {
        List<Layer> out = new ArrayList<>();
        if (model instanceof Sequential s) {
            for (Layer m : s) {
                out.addAll(layers(m));
            }
        } else if (model instanceof Linear || model instanceof Conv2d || model instanceof ReLU
                || model instanceof MaxPool2d || model instanceof Flatten || model instanceof Normalize
                || model instanceof Identity) {
            out.add(model);
        } else {
            throw new IllegalArgumentException("Roll: " + model.getClass().getSimpleName() + " is not a supported "
                    + "piecewise-linear layer (Linear, Conv2d, ReLU, MaxPool2d, Flatten, Normalize, Identity, Sequential)");
        }
        return out;
    }

    /**
     * Why {@code model} has no linear regions that {@link #margins} can compute (a layer that is not piecewise
     * linear, such as a smooth activation), or null if it has.
     */
    public static String notPiecewiseLinear(Layer model) {
        try {
            layers(model);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** The exact ℓp margin {@code ε̂_p} of the linear region of every example, {@code [N]} float64. */
    public static Tensor margins(Layer model, Tensor x, double p) {
        Region[] r = regions(model, x, p);
        double[] out = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            out[i] = r[i].margin();
        }
        return Tensor.of(out, out.length);
    }

    /**
     * The linear region's closest boundary for one example.
     *
     * @param margin    the distance {@code ε̂_p = |z|/‖∇z‖_q} (infinite if no constraint depends on x)
     * @param direction a direction of unit p-norm along which the binding constraint reaches zero at distance
     *                  {@code margin} (the worst neuron's normal for p = 2), shaped as one input; zeros if none
     */
    public record Region(double margin, Tensor direction) {
    }

    /** The closest boundary of the linear region of every example in the ℓp norm (p = 1, 2 or ∞). */
    public static Region[] regions(Layer model, Tensor x, double p) {
        return regions(model, x, p, true);
    }

    /**
     * The ℓ2 margins of the ReLU activation pattern only, {@code [N]} float64: as {@link #margins} but without the
     * max-pool arg-max comparisons. On images with constant backgrounds (MNIST) max-pool windows over the background
     * hold equal values, which puts every input exactly on a region boundary (exact margin 0); this variant measures
     * how far the ReLU pattern alone stays fixed.
     */
    public static Tensor reluMargins(Layer model, Tensor x, double p) {
        Region[] r = regions(model, x, p, false);
        double[] out = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            out[i] = r[i].margin();
        }
        return Tensor.of(out, out.length);
    }

    private static Region[] regions(Layer model, Tensor x, double p, boolean poolComparisons) {
        if (p != 1 && p != 2 && p != Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("Roll.margins: p must be 1, 2 or infinity, got " + p);
        }
        if (x.dim() < 2) {
            throw new IllegalArgumentException("Roll.margins: inputs must be [N, ...], got " + Shapes.str(x.shape()));
        }
        List<Layer> layers = layers(model);
        int n = x.shape()[0];
        int d = x.numel() / Math.max(1, n);
        int chunk = Math.max(1, 8192 / (d + 1));
        Region[] out = new Region[n];
        int[] one = x.shape().clone();
        one[0] = 1;
        try (var ignored = Autodiff.noGrad()) {
            for (int s = 0; s < n; s += chunk) {
                int m = Math.min(chunk, n - s);
                Frozen f = new Frozen(layers, x.narrow(0, s, m));
                for (int i = 0; i < m; i++) {
                    Closest best = new Closest(d, p);
                    f.constraints(i, best, poolComparisons);
                    Tensor dir = Tensor.of(best.direction(), Arrays.copyOfRange(one, 1, one.length)).to(x.dtype());
                    out[s + i] = new Region(best.dist, dir);
                }
            }
        }
        return out;
    }

    /** The activation pattern of one example: the signs of every ReLU pre-activation and every max-pool arg-max. */
    public static int[] activationPattern(Layer model, Tensor x1) {
        try (var ignored = Autodiff.noGrad()) {
            List<Integer> pat = new ArrayList<>();
            Var cur = Var.of(x1);
            for (Layer m : layers(model)) {
                if (m instanceof ReLU) {
                    for (double v : cur.value().toDoubleArray()) {
                        pat.add(v > 0 ? 1 : 0);
                    }
                } else if (m instanceof MaxPool2d mp) {
                    for (int a : Frozen.argmax(cur.value(), mp)) {
                        pat.add(a);
                    }
                }
                cur = m.forward(cur);
            }
            return pat.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** Tracks the constraint of smallest distance {@code |v|/‖g‖_q} and its direction of unit p-norm. */
    static final class Closest {
        final double p;
        double dist = Double.POSITIVE_INFINITY;
        double value;
        double[] grad;

        Closest(int d, double p) {
            this.p = p;
            this.grad = new double[d];
        }

        void offer(double v, double[] g) {
            double q = 0;
            for (double gi : g) {
                q = p == 2 ? q + gi * gi : p == 1 ? Math.max(q, Math.abs(gi)) : q + Math.abs(gi);
            }
            q = p == 2 ? Math.sqrt(q) : q;
            if (q > 0 && Math.abs(v) / q < dist) {
                dist = Math.abs(v) / q;
                value = v;
                grad = g.clone();
            }
        }

        /** The unit-p-norm direction that decreases |v| fastest: {@code −sign(v)·argmax_{‖u‖_p=1} ⟨g, u⟩}. */
        double[] direction() {
            double[] u = new double[grad.length];
            if (dist == Double.POSITIVE_INFINITY) {
                return u;
            }
            double s = value > 0 ? -1 : 1;
            if (p == 2) {
                double norm = 0;
                for (double gi : grad) {
                    norm += gi * gi;
                }
                norm = Math.sqrt(norm);
                for (int i = 0; i < u.length; i++) {
                    u[i] = s * grad[i] / norm;
                }
            } else if (p == 1) {
                int k = 0;
                for (int i = 1; i < u.length; i++) {
                    k = Math.abs(grad[i]) > Math.abs(grad[k]) ? i : k;
                }
                u[k] = s * Math.signum(grad[k]);
            } else {
                for (int i = 0; i < u.length; i++) {
                    u[i] = s * Math.signum(grad[i]);
                }
            }
            return u;
        }
    }

    /**
     * The frozen-mask pass: rows {@code [x; x+e₁; …; x+e_D]} per example through the network with every ReLU mask and
     * max-pool arg-max fixed at x, so differences of rows are exact input gradients.
     */
    static final class Frozen {
        final int n;
        final int d;
        final List<Var> pre = new ArrayList<>();
        final List<double[]> poolIn = new ArrayList<>();
        final List<int[]> poolShape = new ArrayList<>();
        final List<MaxPool2d> pools = new ArrayList<>();
        private List<double[]> preValues;

        Frozen(List<Layer> layers, Tensor x) {
            n = x.shape()[0];
            d = x.numel() / Math.max(1, n);
            Tensor dirs = Tensor.cat(List.of(Tensor.zeros(x.dtype(), 1, d), Tensor.eye(x.dtype(), d)), 0);
            int[] rowShape = x.shape().clone();
            rowShape[0] = n * (d + 1);
            Var cur = Var.of(x.reshape(n, 1, d).add(dirs.unsqueeze(0)).reshape(rowShape));
            for (Layer m : layers) {
                if (m instanceof ReLU) {
                    Var z = cur.reshape(n, d + 1, -1);
                    pre.add(z);
                    cur = z.mul(z.value().narrow(1, 0, 1).gt(0)).reshape(cur.shape());
                } else if (m instanceof MaxPool2d mp) {
                    cur = pool(cur, mp);
                } else {
                    cur = m.forward(cur);
                }
            }
        }

        private Var pool(Var cur, MaxPool2d mp) {
            int[] s = cur.shape();
            if (s.length != 4) {
                throw new IllegalArgumentException("Roll: MaxPool2d input " + Shapes.str(s) + " is not [N, C, H, W]");
            }
            int c = s[1];
            int h = s[2];
            int w = s[3];
            Tensor base = cur.value().reshape(n, d + 1, c, h, w).select(1, 0);
            int[] arg = argmax(base, mp);
            int hw = arg.length / (n * c);
            poolIn.add(cur.value().to(DType.FLOAT64).toDoubleArray());
            poolShape.add(new int[] {c, h, w});
            pools.add(mp);
            int[] index = new int[n * (d + 1) * c * hw];
            for (int b = 0, q = 0; b < n; b++) {
                for (int r = 0; r <= d; r++) {
                    for (int ch = 0; ch < c; ch++) {
                        System.arraycopy(arg, (b * c + ch) * hw, index, q, hw);
                        q += hw;
                    }
                }
            }
            int ho = (h + 2 * mp.padding() - mp.kernel()) / mp.stride() + 1;
            int wo = (w + 2 * mp.padding() - mp.kernel()) / mp.stride() + 1;
            return cur.reshape(n * (d + 1), c, h * w).gather(2, index).reshape(n * (d + 1), c, ho, wo);
        }

        /** The arg-max position (in {@code H·W}) of every pooling window of {@code x [N, C, H, W]}. */
        static int[] argmax(Tensor x, MaxPool2d mp) {
            int[] s = x.shape();
            int h = s[2];
            int w = s[3];
            int k = mp.kernel();
            int st = mp.stride();
            int pd = mp.padding();
            int ho = (h + 2 * pd - k) / st + 1;
            int wo = (w + 2 * pd - k) / st + 1;
            double[] v = x.contiguous().toDoubleArray();
            int[] out = new int[s[0] * s[1] * ho * wo];
            for (int plane = 0, q = 0; plane < s[0] * s[1]; plane++) {
                for (int oi = 0; oi < ho; oi++) {
                    for (int oj = 0; oj < wo; oj++) {
                        int best = -1;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int i = oi * st - pd + a;
                                int j = oj * st - pd + b;
                                if (i >= 0 && i < h && j >= 0 && j < w
                                        && (best < 0 || v[plane * h * w + i * w + j] > v[plane * h * w + best])) {
                                    best = i * w + j;
                                }
                            }
                        }
                        out[q++] = best;
                    }
                }
            }
            return out;
        }

        /** Offers every constraint of example {@code i} (ReLU neurons, then max-pool comparisons) to {@code sink}. */
        void constraints(int i, Closest sink, boolean poolComparisons) {
            double[] g = new double[d];
            if (preValues == null) {
                preValues = new ArrayList<>();
                for (Var z : pre) {
                    preValues.add(z.value().to(DType.FLOAT64).toDoubleArray());
                }
            }
            for (double[] zv : preValues) {
                int u = zv.length / (n * (d + 1));
                int off = i * (d + 1) * u;
                for (int j = 0; j < u; j++) {
                    double base = zv[off + j];
                    for (int k = 0; k < d; k++) {
                        g[k] = zv[off + (k + 1) * u + j] - base;
                    }
                    sink.offer(base, g);
                }
            }
            for (int l = 0; poolComparisons && l < pools.size(); l++) {
                double[] t = poolIn.get(l);
                int[] chw = poolShape.get(l);
                int plane = chw[1] * chw[2];
                int per = chw[0] * plane;
                MaxPool2d mp = pools.get(l);
                Tensor base = Tensor.of(Arrays.copyOfRange(t, i * (d + 1) * per, i * (d + 1) * per + per),
                        1, chw[0], chw[1], chw[2]);
                int[] arg = argmax(base, mp);
                int ho = (chw[1] + 2 * mp.padding() - mp.kernel()) / mp.stride() + 1;
                int wo = (chw[2] + 2 * mp.padding() - mp.kernel()) / mp.stride() + 1;
                int off = i * (d + 1) * per;
                for (int ch = 0; ch < chw[0]; ch++) {
                    for (int oi = 0; oi < ho; oi++) {
                        for (int oj = 0; oj < wo; oj++) {
                            int a = ch * plane + arg[(ch * ho + oi) * wo + oj];
                            for (int da = 0; da < mp.kernel(); da++) {
                                for (int db = 0; db < mp.kernel(); db++) {
                                    int r = oi * mp.stride() - mp.padding() + da;
                                    int cc = oj * mp.stride() - mp.padding() + db;
                                    int b = ch * plane + r * chw[2] + cc;
                                    if (r < 0 || r >= chw[1] || cc < 0 || cc >= chw[2] || b == a) {
                                        continue;
                                    }
                                    if (t[off + a] == 0 && t[off + b] == 0) {
                                        // two dead ReLU outputs: both are 0 throughout the region, so they bound
                                        // nothing; their float32 differences would be rounding noise
                                        continue;
                                    }
                                    double v = t[off + a] - t[off + b];
                                    for (int k = 0; k < d; k++) {
                                        int row = off + (k + 1) * per;
                                        g[k] = (t[row + a] - t[row + b]) - v;
                                    }
                                    sink.offer(v, g);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public String name() {
        return "roll";
    }
}
