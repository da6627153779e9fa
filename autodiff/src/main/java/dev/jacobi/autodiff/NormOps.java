package dev.jacobi.autodiff;

import static dev.jacobi.autodiff.Var.make;
import static dev.jacobi.autodiff.Var.of;

import dev.jacobi.core.Normalization;
import dev.jacobi.core.Tensor;

/** The normalisation primitives, each with its forward kernel and its backward rule. */
final class NormOps {
    private NormOps() {
    }

    /**
     * Batch normalisation with batch statistics over every dim but 1 ({@link Normalization#batchNorm}), followed by
     * a ReLU if {@code relu}. Rule, with {@code m = g} (or {@code thresholdBackward(g, out)} after a ReLU),
     * {@code x̂ = (x − μ)/√(σ² + eps)} and {@code n} values per channel: {@code ∂β = Σm}, {@code ∂γ = Σ m·x̂},
     * {@code ∂x = γ/√(σ² + eps)·(m − ∂β/n − x̂·∂γ/n)}. Without a graph the rule runs as the two fused passes of
     * {@link Normalization#batchNormBackward}; when the gradient is itself recorded it is written with {@code Var} ops
     * of {@code x}, {@code γ} and {@code m}, so that it can be differentiated again, to any order.
     */
    static Var.BatchNormOutput batchNorm(Var x, Var weight, Var bias, double eps, boolean relu) {
        Normalization.BatchNorm f = Normalization.batchNorm(x.value(), weight.value(), bias.value(), eps, relu);
        Var y = make(Op.BATCH_NORM, f.output(), (g, out, n) -> {
            if (!GradMode.enabled()) {
                Tensor[] r = Normalization.batchNormBackward(g.value(), relu ? out.value() : null, x.value(),
                        f.mean(), f.invstd(), weight.value());
                return new Var[] {n[0] ? of(r[0]) : null, n[1] ? of(r[1]) : null, n[2] ? of(r[2]) : null};
            }
            int[] s = x.shape();
            int[] dims = new int[s.length - 1];
            int[] bshape = new int[s.length];
            for (int i = 0, j = 0; i < s.length; i++) {
                bshape[i] = i == 1 ? s[1] : 1;
                if (i != 1) {
                    dims[j++] = i;
                }
            }
            double count = (double) x.value().numel() / s[1];
            Var m = relu ? ElementwiseOps.thresholdBackward(g, out.value()) : g;
            Var centred = x.sub(x.mean(dims, true));
            Var invstd = centred.square().mean(dims, true).add(eps).pow(-0.5);
            Var xhat = centred.mul(invstd);
            Var gb = m.sum(dims, true);
            Var gw = m.mul(xhat).sum(dims, true);
            Var gx = weight.reshape(bshape).mul(invstd).mul(m.sub(gb.div(count)).sub(xhat.mul(gw).div(count)));
            return new Var[] {n[0] ? gx : null, n[1] ? gw.reshape(s[1]) : null, n[2] ? gb.reshape(s[1]) : null};
        }, x, weight, bias);
        return new Var.BatchNormOutput(y, f.mean(), f.var());
    }
}
