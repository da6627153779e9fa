package dev.jacobi.autodiff;

import dev.jacobi.core.Conv;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The one registry of differentiable ops that drives the gradient-check tests: a name, a function of float64
 * inputs, a sample generator keeping inputs inside the op's domain and away from kinks, and the order to check.
 */
final class OpRegistry {
    record OpInfo(String name, Autodiff.MultiFunction fn, Function<Rng, List<Tensor>> sample, int order, double tol) {
    }

    static Tensor randn(Rng r, int... shape) {
        return Tensor.randn(r, DType.FLOAT64, shape);
    }

    /** Normal samples pushed at least 0.2 away from zero (kinks of relu, abs, sign). */
    static Tensor awayFromZero(Rng r, int... shape) {
        Tensor x = randn(r, shape);
        return x.add(x.sign().mul(0.2));
    }

    /** Samples in (0.5, 2.5) for log, sqrt and pow. */
    static Tensor positive(Rng r, int... shape) {
        return Tensor.rand(r, DType.FLOAT64, shape).mul(2).add(0.5);
    }

    /** A permutation of well-separated values (no ties for max/min). */
    static Tensor distinct(Rng r, int... shape) {
        int n = Tensor.zeros(shape).numel();
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        r.shuffle(p);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 0.3 * (p[i] - n / 2.0);
        }
        return Tensor.of(v, shape);
    }

    private static OpInfo op(String name, int order, Autodiff.MultiFunction fn, Function<Rng, List<Tensor>> sample) {
        return new OpInfo(name, fn, sample, order, 1e-6);
    }

    private static OpInfo unary(String name, int order, Function<Var, Var> fn, Function<Rng, Tensor> sample) {
        return op(name, order, xs -> fn.apply(xs.get(0)), r -> List.of(sample.apply(r)));
    }

    static List<OpInfo> all() {
        List<OpInfo> ops = new ArrayList<>();
        // binary element-wise, with broadcasting
        ops.add(op("add", 2, xs -> xs.get(0).add(xs.get(1)), r -> List.of(randn(r, 3, 4), randn(r, 4))));
        ops.add(op("sub", 2, xs -> xs.get(0).sub(xs.get(1)), r -> List.of(randn(r, 3, 1), randn(r, 1, 4))));
        ops.add(op("mul", 2, xs -> xs.get(0).mul(xs.get(1)), r -> List.of(randn(r, 2, 3, 4), randn(r, 3, 1))));
        ops.add(op("div", 3, xs -> xs.get(0).div(xs.get(1)), r -> List.of(randn(r, 3, 4), positive(r, 4))));
        ops.add(op("maximum", 2, xs -> xs.get(0).maximum(xs.get(1)),
                r -> { Tensor a = randn(r, 3, 4); return List.of(a, a.add(awayFromZero(r, 3, 4))); }));
        ops.add(op("minimum", 2, xs -> xs.get(0).minimum(xs.get(1)),
                r -> { Tensor a = randn(r, 3, 4); return List.of(a, a.add(awayFromZero(r, 4))); }));
        ops.add(op("where", 2, xs -> Var.where(Tensor.of(new double[] {1, 0, 1, 0}, 4), xs.get(0), xs.get(1)),
                r -> List.of(randn(r, 3, 4), randn(r, 3, 1))));
        // a user's op with its own rule (CustomOp): x·y³ with the rule written by hand
        ops.add(op("custom", 3, xs -> CustomOp.apply(new CustomOp() {
            @Override
            public Tensor forward(Tensor... v) {
                return v[0].mul(v[1].mul(v[1]).mul(v[1]));
            }

            @Override
            public Var[] backward(Var g, Var out, Var... v) {
                return new Var[] {g.mul(v[1].pow(3)), g.mul(v[0]).mul(v[1].square()).mul(3)};
            }
        }, xs.get(0), xs.get(1)), r -> List.of(randn(r, 3, 4), randn(r, 3, 4))));
        // unary element-wise
        ops.add(unary("neg", 2, Var::neg, r -> randn(r, 5)));
        ops.add(unary("exp", 3, Var::exp, r -> randn(r, 2, 3)));
        ops.add(unary("log", 3, Var::log, r -> positive(r, 2, 3)));
        ops.add(unary("sqrt", 3, Var::sqrt, r -> positive(r, 2, 3)));
        ops.add(unary("tanh", 3, Var::tanh, r -> randn(r, 2, 3)));
        ops.add(unary("sigmoid", 3, Var::sigmoid, r -> randn(r, 2, 3)));
        ops.add(unary("softplus", 3, Var::softplus, r -> awayFromZero(r, 2, 3)));
        ops.add(unary("gelu", 3, Var::gelu, r -> randn(r, 2, 3)));
        ops.add(unary("relu", 2, Var::relu, r -> awayFromZero(r, 2, 3)));
        // batch normalisation with batch statistics over dims 0, 2, 3, alone and with the ReLU folded in
        for (boolean relu : new boolean[] {false, true}) {
            ops.add(op(relu ? "batchNormRelu" : "batchNorm", 3,
                    xs -> xs.get(0).batchNorm(xs.get(1), xs.get(2), 1e-5, relu).output(),
                    r -> List.of(randn(r, 3, 2, 2, 2), randn(r, 2), randn(r, 2).mul(0.3))));
        }
        // a bias then ReLU in one node: the sum kept at least 0.05 away from the kink
        ops.add(op("addRelu", 3, xs -> xs.get(0).addRelu(xs.get(1)),
                r -> List.of(awayFromZero(r, 3, 4), randn(r, 4).clamp(-3, 3).mul(0.05))));
        // ReLU's backward at a fixed ReLU output with zeros, positives and negatives (linear in g)
        ops.add(unary("thresholdBackward", 3, v -> ElementwiseOps.thresholdBackward(v, Tensor.of(new double[] {0, 1, -2, 3, 0.5,
                -0.25}, 2, 3)), r -> randn(r, 2, 3)));
        ops.add(unary("leakyRelu", 2, v -> v.leakyRelu(0.1), r -> awayFromZero(r, 2, 3)));
        ops.add(unary("abs", 2, Var::abs, r -> awayFromZero(r, 2, 3)));
        ops.add(unary("square", 3, Var::square, r -> randn(r, 2, 3)));
        ops.add(unary("pow", 3, v -> v.pow(2.5), r -> positive(r, 2, 3)));
        ops.add(unary("sin", 3, Var::sin, r -> randn(r, 2, 3)));
        ops.add(unary("cos", 3, Var::cos, r -> randn(r, 2, 3)));
        ops.add(unary("clamp", 2, v -> v.clamp(-0.5, 0.5), r -> distinct(r, 2, 5).mul(0.9).add(0.05)));
        ops.add(op("powTensor", 3, xs -> xs.get(0).pow(xs.get(1)), r -> List.of(positive(r, 3, 4), randn(r, 4))));
        ops.add(unary("softplusBetaThreshold", 3, v -> v.softplus(2, 3), r -> randn(r, 3, 4).mul(2)));
        // reductions
        ops.add(unary("sum", 2, v -> v.sum(new int[] {0, 2}, false), r -> randn(r, 2, 3, 4)));
        ops.add(unary("mean", 2, v -> v.mean(1, true), r -> randn(r, 2, 3, 4)));
        ops.add(unary("amax", 2, v -> v.amax(new int[] {1}, false), r -> distinct(r, 3, 4)));
        ops.add(unary("amin", 2, v -> v.amin(new int[] {0}, true), r -> distinct(r, 3, 4)));
        ops.add(unary("logSumExp", 3, v -> v.logSumExp(new int[] {1}, false), r -> randn(r, 3, 4)));
        ops.add(unary("logSoftmax", 3, v -> v.logSoftmax(1), r -> randn(r, 3, 4)));
        ops.add(unary("norm2", 3, v -> v.norm(2), r -> randn(r, 3, 4)));
        ops.add(unary("norm2 over a dim", 3, v -> v.norm(2, new int[] {1}, true), r -> randn(r, 3, 4)));
        ops.add(unary("var", 3, v -> v.var(new int[] {1}, 1, false), r -> randn(r, 3, 4)));
        ops.add(unary("std", 3, v -> v.std(new int[] {0}, 0, true), r -> randn(r, 3, 4)));
        ops.add(unary("max over a dim", 2, v -> v.max(1, false).values(), r -> distinct(r, 3, 4)));
        ops.add(unary("min over a dim", 2, v -> v.min(0, true).values(), r -> distinct(r, 3, 4)));
        ops.add(unary("crossEntropy", 3, v -> v.logSoftmax(1).gather(1, new int[] {2, 0, 3}).mean().neg(),
                r -> randn(r, 3, 4)));
        // linear algebra
        ops.add(op("matmul", 3, xs -> xs.get(0).matmul(xs.get(1)), r -> List.of(randn(r, 3, 4), randn(r, 4, 2))));
        ops.add(op("matmulBatched", 3, xs -> xs.get(0).matmul(xs.get(1)),
                r -> List.of(randn(r, 2, 3, 4), randn(r, 4, 5))));
        ops.add(op("matmulVector", 2, xs -> xs.get(0).matmul(xs.get(1)), r -> List.of(randn(r, 4), randn(r, 4, 3))));
        ops.add(op("matmulDot", 3, xs -> xs.get(0).matmul(xs.get(1)), r -> List.of(randn(r, 4), randn(r, 4))));
        ops.add(op("matmulBatchedVector", 3, xs -> xs.get(0).matmul(xs.get(1)),
                r -> List.of(randn(r, 2, 3, 4), randn(r, 4))));
        ops.add(op("matmulBroadcast", 3, xs -> xs.get(0).matmul(xs.get(1)),
                r -> List.of(randn(r, 2, 1, 3, 4), randn(r, 3, 4, 2))));
        ops.add(op("matmulTransposed", 3, xs -> xs.get(0).t().matmul(xs.get(1).t()),
                r -> List.of(randn(r, 4, 3), randn(r, 2, 4))));
        ops.add(op("matmulTanh", 3, xs -> xs.get(0).matmul(xs.get(1)).tanh().matmul(xs.get(0).t()),
                r -> List.of(randn(r, 3, 4), randn(r, 4, 4))));
        ops.add(op("addmm", 3, xs -> xs.get(0).addmm(xs.get(1), xs.get(2)),
                r -> List.of(randn(r, 2), randn(r, 3, 4), randn(r, 4, 2))));
        // fan-in of products, also onto a shared transposed factor: the engine sums them with addmm
        ops.add(op("matmulFanIn", 3, xs -> {
            Var wt = xs.get(1).t();
            return xs.get(0).matmul(wt).add(xs.get(0).tanh().matmul(wt));
        }, r -> List.of(randn(r, 3, 4), randn(r, 2, 4))));
        // a batch of well-conditioned matrices (diagonally dominant)
        ops.add(unary("inverse", 3, Var::inverse,
                r -> randn(r, 2, 3, 3).add(Tensor.eye(DType.FLOAT64, 3).mul(4))));
        // shape
        ops.add(unary("reshape", 2, v -> v.reshape(4, -1), r -> randn(r, 2, 3, 2)));
        ops.add(unary("permute", 2, v -> v.permute(2, 0, 1), r -> randn(r, 2, 3, 4)));
        ops.add(unary("expand", 2, v -> v.expand(2, 3, 4), r -> randn(r, 3, 1)));
        ops.add(unary("narrow", 2, v -> v.narrow(1, 1, 2), r -> randn(r, 2, 4)));
        ops.add(op("cat", 2, xs -> Var.cat(List.of(xs.get(0), xs.get(1)), 1),
                r -> List.of(randn(r, 2, 3), randn(r, 2, 1))));
        ops.add(unary("gather", 2, v -> v.gather(1, new int[] {2, 2, 0, 1}), r -> randn(r, 2, 3)));
        ops.add(op("scatterAdd", 2, xs -> xs.get(0).scatterAdd(0, new int[] {1, 0, 1, 1}, xs.get(1)),
                r -> List.of(randn(r, 2, 2), randn(r, 2, 2))));
        ops.add(unary("split", 2, v -> {
            List<Var> p = v.split(2, 0);
            return Var.cat(List.of(p.get(0).square(), p.get(1).mul(3), p.get(2).exp()), 0);
        }, r -> randn(r, 5, 3)));
        ops.add(unary("chunk", 2, v -> {
            List<Var> p = v.chunk(3, 1);
            return Var.cat(List.of(p.get(2).sin(), p.get(0).square(), p.get(1)), 1);
        }, r -> randn(r, 2, 7)));
        ops.add(unary("indexSelect", 2, v -> v.indexSelect(0, new int[] {2, 0, 2}), r -> randn(r, 3, 2)));
        ops.add(unary("indexSelect dim 1", 2, v -> v.indexSelect(1, new int[] {1, 1}), r -> randn(r, 2, 3, 2)));
        ops.add(op("indexAdd", 2, xs -> xs.get(0).indexAdd(1, new int[] {2, 0, 2}, xs.get(1)),
                r -> List.of(randn(r, 2, 3), randn(r, 2, 3))));
        // convolution family and pooling: order 3, the Hessian penalties differentiate through them
        Conv2dSpec pad1 = Conv2dSpec.of(1, 1);
        Conv2dSpec strided = Conv2dSpec.of(2, 1).withDilation(1);
        Conv2dSpec circular = Conv2dSpec.of(1, 1).withMode(PaddingMode.CIRCULAR);
        Conv2dSpec grouped = Conv2dSpec.of(1, 0).withGroups(2).withDilation(2);
        for (Conv2dSpec s : new Conv2dSpec[] {pad1, strided, circular, grouped}) {
            int cin = s.groups() == 2 ? 4 : 2;
            String tag = "(stride " + s.strideH() + ", pad " + s.padH() + ", " + s.mode() + ", groups " + s.groups() + ")";
            ops.add(op("conv2d " + tag, 3, xs -> xs.get(0).conv2d(xs.get(1), xs.get(2), s),
                    r -> List.of(randn(r, 2, cin, 5, 6), randn(r, 4, cin / s.groups(), 3, 3), randn(r, 4))));
            int ho = Conv.outputSize(5, 3, s.strideH(), s.padH(), s.dilationH());
            int wo = Conv.outputSize(6, 3, s.strideW(), s.padW(), s.dilationW());
            ops.add(op("conv2dInput " + tag, 3, xs -> Var.conv2dInput(xs.get(0), xs.get(1), 5, 6, s),
                    r -> List.of(randn(r, 2, 4, ho, wo), randn(r, 4, cin / s.groups(), 3, 3))));
            ops.add(op("conv2dWeight " + tag, 3, xs -> Var.conv2dWeight(xs.get(0), xs.get(1), 3, 3, s),
                    r -> List.of(randn(r, 2, cin, 5, 6), randn(r, 2, 4, ho, wo))));
        }
        ops.add(unary("maxPool2d", 3, v -> v.maxPool2d(2, 2, 0), r -> distinct(r, 2, 2, 4, 6)));
        ops.add(unary("maxPool2d overlapping", 2, v -> v.maxPool2d(3, 2, 1), r -> distinct(r, 1, 2, 5, 5)));
        ops.add(unary("maxPool2d then square", 3, v -> v.maxPool2d(2, 2, 0).square(), r -> distinct(r, 1, 2, 4, 4)));
        ops.add(unary("maxPool2d backward", 2, v -> ConvPoolOps.scatterFlat(v, new int[] {0, 5, 5, 7}, new int[] {2, 4}),
                r -> randn(r, 2, 2)));
        ops.add(unary("gatherFlat", 2, v -> ConvPoolOps.gatherFlat(v, new int[] {0, 5, 5, 7}, new int[] {4}), r -> randn(r, 2, 4)));
        ops.add(unary("avgPool2d", 3, v -> v.avgPool2d(2, 2, 0), r -> randn(r, 2, 2, 4, 6)));
        ops.add(unary("avgPool2dAdjoint", 3, v -> ConvPoolOps.avgPool2dAdjoint(v, 5, 5, 3, 2, 1), r -> randn(r, 1, 2, 3, 3)));
        ops.add(unary("pad zeros", 2, v -> v.pad(new int[] {1, 2, 0, 1}, PaddingMode.ZEROS), r -> randn(r, 1, 2, 3, 4)));
        ops.add(unary("pad circular", 2, v -> v.pad(new int[] {1, 1, 2, 1}, PaddingMode.CIRCULAR), r -> randn(r, 1, 2, 3, 4)));
        ops.add(unary("padAdjoint circular", 2, v -> ConvPoolOps.padAdjoint(v, new int[] {1, 1, 2, 1}, PaddingMode.CIRCULAR),
                r -> randn(r, 1, 2, 6, 6)));
        ops.add(unary("pixelShuffle", 2, v -> v.pixelShuffle(2), r -> randn(r, 1, 8, 2, 3)));
        ops.add(unary("pixelUnshuffle", 2, v -> v.pixelUnshuffle(2), r -> randn(r, 1, 2, 4, 6)));
        ops.add(op("conv net cross-entropy", 3, xs -> xs.get(0).conv2d(xs.get(1), null, pad1).softplus()
                        .maxPool2d(2, 2, 0).flatten(1, 3).logSoftmax(1).gather(1, new int[] {3, 0}).mean().neg(),
                r -> List.of(randn(r, 2, 1, 4, 4), randn(r, 2, 1, 3, 3))));
        ops.add(op("gridSample", 3, xs -> xs.get(0).gridSample(xs.get(1)),
                r -> List.of(randn(r, 2, 2, 4, 5), randn(r, 2, 3, 4, 2).mul(0.8))));
        ops.add(op("gridSample alignCorners", 3, xs -> xs.get(0).gridSample(xs.get(1), true),
                r -> List.of(randn(r, 2, 2, 4, 5), randn(r, 2, 3, 4, 2).mul(0.8))));
        return ops;
    }

    private OpRegistry() {
    }
}
