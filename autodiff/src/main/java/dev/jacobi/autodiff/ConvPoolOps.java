package dev.jacobi.autodiff;

import static dev.jacobi.autodiff.Var.make;
import static dev.jacobi.autodiff.Var.of;

import dev.jacobi.core.Conv;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.Memory;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Pool;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Spatial;
import dev.jacobi.core.Tensor;
import java.util.List;

/**
 * The convolution, pooling, padding and sampling primitives. The family is closed under differentiation: the
 * adjoint of each op is another op here (conv2d's are conv2dInput and conv2dWeight, maxPool2d's is scatterFlat,
 * pad's is padAdjoint), so the Hessian penalties can differentiate through them to any order.
 */
final class ConvPoolOps {
    private ConvPoolOps() {
    }

    /**
     * 2-D convolution (cross-correlation) of {@code x [N, Cin, H, W]} with {@code w [Cout, Cin/groups, kh, kw]},
     * plus {@code bias [Cout]} if not null, which is added as the output is written (no second full-size tensor).
     * Rule: {@code (conv2dInput(g, w), conv2dWeight(x, g), g summed over dims 0, 2, 3)}; without a graph, the first
     * two come from one {@link Conv#conv2dBackward} when both are needed.
     */
    static Var conv2d(Var x, Var w, Var bias, Conv2dSpec s) {
        int[] xs = x.shape();
        int[] ws = w.shape();
        Tensor y = Conv.conv2d(x.value(), w.value(), bias == null ? null : bias.value(), s);
        Rule rule = (g, out, n) -> {
            Var b = n.length > 2 && n[2] ? g.sum(new int[] {0, 2, 3}, false) : null;
            if (n[0] && n[1] && !GradMode.enabled()) {
                Tensor[] gxw = Conv.conv2dBackward(x.value(), g.value(), w.value(), s);
                return new Var[] {of(gxw[0]), of(gxw[1]), b};
            }
            return new Var[] {n[0] ? conv2dInput(g, w, xs[2], xs[3], s) : null,
                    n[1] ? conv2dWeight(x, g, ws[2], ws[3], s) : null, b};
        };
        return bias == null ? make(Op.CONV2D, y, rule, x, w) : make(Op.CONV2D, y, rule, x, w, bias);
    }

    /**
     * The adjoint of {@link #conv2d} with respect to its input (a transposed convolution) for an input of spatial
     * size {@code h×w}. Bilinear; rule: {@code (conv2d(g, w), conv2dWeight(g, gy))}.
     */
    static Var conv2dInput(Var gy, Var w, int h, int wd, Conv2dSpec s) {
        int[] ws = w.shape();
        return make(Op.CONV2D_INPUT, Conv.conv2dInput(gy.value(), w.value(), h, wd, s), (g, out, n) -> new Var[] {
                n[0] ? g.conv2d(w, null, s) : null,
                n[1] ? conv2dWeight(g, gy, ws[2], ws[3], s) : null}, gy, w);
    }

    /**
     * The adjoint of {@link #conv2d} with respect to its weight, for a {@code kh×kw} kernel. Bilinear; rule:
     * {@code (conv2dInput(gy, g), conv2d(x, g))}.
     */
    static Var conv2dWeight(Var x, Var gy, int kh, int kw, Conv2dSpec s) {
        int[] xs = x.shape();
        return make(Op.CONV2D_WEIGHT, Conv.conv2dWeight(x.value(), gy.value(), kh, kw, s), (g, out, n) -> new Var[] {
                n[0] ? conv2dInput(gy, g, xs[2], xs[3], s) : null,
                n[1] ? x.conv2d(g, null, s) : null}, x, gy);
    }

    /**
     * Max pooling over {@code k×k} windows with stride {@code stride} and zero padding {@code padding} (padding
     * counts as −∞). Rule: {@code g} scattered to the arg-max positions, which are constants, so the second
     * derivative is 0.
     */
    static Var maxPool2d(Var x, int k, int stride, int padding) {
        int[] xs = x.shape();
        Pool.MaxPoolResult r = Pool.maxPool2d(x.value(), k, k, stride, stride, padding, padding);
        return make(Op.MAX_POOL2D, r.values(), new MaxPoolRule(r.indices(), xs), x);
    }

    /**
     * maxPool2d's rule, the scatter of {@code g} to the maxima's positions. When the graph is freed its positions go
     * back to the caching allocator, unless a recorded backward (double backprop) made ops that still hold them.
     */
    private static final class MaxPoolRule implements Rule {
        private final int[] idx;
        private final int[] xs;
        private boolean shared;

        MaxPoolRule(int[] idx, int[] xs) {
            this.idx = idx;
            this.xs = xs;
        }

        @Override
        public Var[] apply(Var g, Var out, boolean[] needs) {
            shared |= GradMode.enabled();
            return new Var[] {scatterFlat(g, idx, xs)};
        }

        @Override
        public void free() {
            if (!shared) {
                Memory.releaseIndices(idx);
            }
        }
    }

    /** {@code zeros(shape)} with {@code g.flat[i]} added at flat position {@code indices[i]}. Rule: gatherFlat. */
    static Var scatterFlat(Var g0, int[] indices, int[] shape) {
        int[] gs = g0.shape();
        return make(Op.SCATTER_FLAT, Pool.scatterFlat(g0.value(), indices, shape), (g, out, n) ->
                new Var[] {gatherFlat(g, indices, gs)}, g0);
    }

    /** {@code out.flat[i] = x.flat[indices[i]]}, reshaped to {@code shape}. Rule: scatterFlat. */
    static Var gatherFlat(Var x, int[] indices, int[] shape) {
        int[] xs = x.shape();
        return make(Op.GATHER_FLAT, Pool.gatherFlat(x.value(), indices, shape), (g, out, n) ->
                new Var[] {scatterFlat(g, indices, xs)}, x);
    }

    /** Average pooling over {@code k×k} windows (padding counted in the divisor). Rule: its adjoint. */
    static Var avgPool2d(Var x, int k, int stride, int padding) {
        int[] xs = x.shape();
        return make(Op.AVG_POOL2D, Pool.avgPool2d(x.value(), k, k, stride, stride, padding, padding), (g, out, n) ->
                new Var[] {avgPool2dAdjoint(g, xs[2], xs[3], k, stride, padding)}, x);
    }

    /** The adjoint of {@link #avgPool2d} for an input of size {@code h×w}. Rule: avgPool2d. */
    static Var avgPool2dAdjoint(Var gy, int h, int w, int k, int stride, int padding) {
        return make(Op.AVG_POOL2D_ADJOINT, Pool.avgPool2dAdjoint(gy.value(), h, w, k, k, stride, stride, padding, padding),
                (g, out, n) -> new Var[] {g.avgPool2d(k, stride, padding)}, gy);
    }

    /** Padding of the last two dims ({@code left, right, top, bottom}, or {@code left, right}). Rule: padAdjoint. */
    static Var pad(Var x, int[] pads, PaddingMode mode) {
        return make(Op.PAD, Spatial.pad(x.value(), pads, mode), (g, out, n) -> new Var[] {padAdjoint(g, pads, mode)}, x);
    }

    /** The adjoint of {@link #pad}: crop, folding wrapped borders back for circular padding. Rule: pad. */
    static Var padAdjoint(Var g0, int[] pads, PaddingMode mode) {
        return make(Op.PAD_ADJOINT, Spatial.padAdjoint(g0.value(), pads, mode), (g, out, n) ->
                new Var[] {g.pad(pads, mode)}, g0);
    }

    /** {@code [N, C·r², H, W] → [N, C, H·r, W·r]}. Rule: pixelUnshuffle (a permutation's adjoint is its inverse). */
    static Var pixelShuffle(Var x, int r) {
        return make(Op.PIXEL_SHUFFLE, Spatial.pixelShuffle(x.value(), r), (g, out, n) -> new Var[] {g.pixelUnshuffle(r)}, x);
    }

    /** {@code [N, C, H·r, W·r] → [N, C·r², H, W]}. Rule: pixelShuffle. */
    static Var pixelUnshuffle(Var x, int r) {
        return make(Op.PIXEL_UNSHUFFLE, Spatial.pixelUnshuffle(x.value(), r), (g, out, n) -> new Var[] {g.pixelShuffle(r)}, x);
    }

    // ------------------------------------------------------------------ bilinear sampling

    /**
     * Bilinear sampling of {@code x [N, C, H, W]} at the points of {@code grid [N, Ho, Wo, 2]} with zero padding
     * outside, PyTorch's {@code grid_sample(mode='bilinear', padding_mode='zeros', align_corners)}:
     * {@code out[n, c, i, j] = Σ_corners w·x[n, c, y, x]} at pixel position {@code (ix, iy)}, where
     * {@code grid[..., 0]} is the normalised x in [-1, 1] and {@code ix = (gx + 1)·(W − 1)/2} with
     * {@code alignCorners} (−1 and 1 are the centres of the corner pixels) or {@code ix = (gx + 1)·W/2 − 1/2} without
     * (−1 and 1 are the outer edges of the corner pixels); likewise {@code iy} from {@code grid[..., 1]} and H. Rule:
     * the input cotangent is the adjoint (a scatter of {@code g} with the bilinear weights), the grid cotangent is
     * {@code Σ_c g·∂out/∂grid}; both are written with Var ops of the weights, which are functions of the grid (the
     * corners' integer positions are constants), so the op can be differentiated again in both arguments.
     */
    static Var gridSample(Var x, Var grid, boolean alignCorners) {
        int[] xs = x.shape();
        int[] gs = grid.shape();
        if (xs.length != 4 || gs.length != 4 || gs[3] != 2 || gs[0] != xs[0]) {
            throw new IllegalArgumentException("gridSample: want input [N, C, H, W] and grid [N, Ho, Wo, 2], got input "
                    + Shapes.str(xs) + " and grid " + Shapes.str(gs));
        }
        if (grid.dtype() != x.dtype()) {
            throw new IllegalArgumentException("gridSample: grid dtype " + grid.dtype() + " differs from input dtype "
                    + x.dtype());
        }
        GridCorners k = new GridCorners(xs, grid.value(), alignCorners);
        Tensor y = k.sample(of(x.value()), of(grid.value())).value();
        return make(Op.GRID_SAMPLE, y, (g, out, n) -> new Var[] {
                n[0] ? k.inputCotangent(g, grid) : null, n[1] ? k.gridCotangent(g, x, grid) : null}, x, grid);
    }

    /** The constant part of a bilinear sampling: the four corners of every sample point as flat padded indices. */
    private static final class GridCorners {
        private static final int[] PADS = {1, 1, 1, 1};
        private final int n;
        private final int c;
        private final int h;
        private final int w;
        private final int ho;
        private final int wo;
        private final double sx;
        private final double sy;
        private final double shift;
        private final Tensor x0;
        private final Tensor y0;
        private final int[][] idx = new int[4][];

        /** Corner order: 0 = (y0, x0), 1 = (y0, x0+1), 2 = (y0+1, x0), 3 = (y0+1, x0+1). */
        GridCorners(int[] xs, Tensor grid, boolean alignCorners) {
            n = xs[0];
            c = xs[1];
            h = xs[2];
            w = xs[3];
            ho = grid.shape()[1];
            wo = grid.shape()[2];
            sx = alignCorners ? (w - 1) / 2.0 : w / 2.0;
            sy = alignCorners ? (h - 1) / 2.0 : h / 2.0;
            shift = alignCorners ? 0 : -0.5;
            double[] gd = grid.contiguous().toDoubleArray();
            int m = n * ho * wo;
            double[] fx = new double[m];
            double[] fy = new double[m];
            for (int p = 0; p < m; p++) {
                double ix = (gd[2 * p] + 1) * sx + shift;
                double iy = (gd[2 * p + 1] + 1) * sy + shift;
                if (!Double.isFinite(ix) || !Double.isFinite(iy)) {
                    throw new IllegalArgumentException("gridSample: grid point " + p + " is not finite: ("
                            + gd[2 * p] + ", " + gd[2 * p + 1] + ")");
                }
                fx[p] = Math.floor(ix);
                fy[p] = Math.floor(iy);
            }
            x0 = Tensor.of(fx, n, ho, wo).to(grid.dtype());
            y0 = Tensor.of(fy, n, ho, wo).to(grid.dtype());
            for (int k = 0; k < 4; k++) {
                idx[k] = new int[n * c * ho * wo];
                int dy = k >> 1;
                int dx = k & 1;
                for (int b = 0, q = 0; b < n; b++) {
                    for (int ch = 0; ch < c; ch++) {
                        for (int s = 0; s < ho * wo; s++) {
                            int p = b * ho * wo + s;
                            int px = (int) Math.max(0, Math.min(w + 1, fx[p] + 1 + dx));
                            int py = (int) Math.max(0, Math.min(h + 1, fy[p] + 1 + dy));
                            idx[k][q++] = ((b * c + ch) * (h + 2) + py) * (w + 2) + px;
                        }
                    }
                }
            }
        }

        /** The fractional parts {@code (fx, fy)} as Vars of the grid, each {@code [N, Ho, Wo]}. */
        private Var[] fractions(Var grid) {
            Var fx = grid.narrow(3, 0, 1).reshape(n, ho, wo).add(1).mul(sx).add(shift).sub(of(x0));
            Var fy = grid.narrow(3, 1, 1).reshape(n, ho, wo).add(1).mul(sy).add(shift).sub(of(y0));
            return new Var[] {fx, fy};
        }

        /** The four bilinear weights, each {@code [N, 1, Ho, Wo]}. */
        private Var[] weights(Var grid) {
            Var[] f = fractions(grid);
            Var gx = f[0].neg().add(1);
            Var gy = f[1].neg().add(1);
            Var[] wts = {gx.mul(gy), f[0].mul(gy), gx.mul(f[1]), f[0].mul(f[1])};
            for (int k = 0; k < 4; k++) {
                wts[k] = wts[k].reshape(n, 1, ho, wo);
            }
            return wts;
        }

        private Var corner(Var padded, int k) {
            return gatherFlat(padded, idx[k], new int[] {n, c, ho, wo});
        }

        /** {@code Σ_k w_k(grid)·x[corner_k]}. */
        Var sample(Var x, Var grid) {
            Var p = x.pad(PADS, PaddingMode.ZEROS);
            Var[] wts = weights(grid);
            Var out = null;
            for (int k = 0; k < 4; k++) {
                Var t = wts[k].mul(corner(p, k));
                out = out == null ? t : out.add(t);
            }
            return out;
        }

        /** {@code Σ_k scatter(g·w_k, corner_k)}, cropped: the adjoint in the input. */
        Var inputCotangent(Var g, Var grid) {
            Var[] wts = weights(grid);
            int[] padded = {n, c, h + 2, w + 2};
            Var acc = null;
            for (int k = 0; k < 4; k++) {
                Var t = scatterFlat(g.mul(wts[k]), idx[k], padded);
                acc = acc == null ? t : acc.add(t);
            }
            return padAdjoint(acc, PADS, PaddingMode.ZEROS);
        }

        /** {@code Σ_c g·∂out/∂grid}: the bilinear weights' derivatives times the corner differences. */
        Var gridCotangent(Var g, Var x, Var grid) {
            Var p = x.pad(PADS, PaddingMode.ZEROS);
            Var[] a = new Var[4];
            for (int k = 0; k < 4; k++) {
                a[k] = g.mul(corner(p, k)).sum(1, false);
            }
            Var[] f = fractions(grid);
            Var dfx = f[1].neg().add(1).mul(a[1].sub(a[0])).add(f[1].mul(a[3].sub(a[2])));
            Var dfy = f[0].neg().add(1).mul(a[2].sub(a[0])).add(f[0].mul(a[3].sub(a[1])));
            return Var.stack(List.of(dfx.mul(sx), dfy.mul(sy)), 3);
        }
    }
}
