package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.Map;

/**
 * Batch normalisation over channel dim 1: {@code y = (x - μ)/√(σ² + eps)·γ + β}, with {@code μ, σ²} the batch mean
 * and biased variance over every dim but 1 in training, and the running estimates in eval. Each training forward
 * updates {@code running = (1 - momentum)·running + momentum·batch}, using the unbiased variance
 * {@code σ²·n/(n-1)}, and counts {@code num_batches_tracked} — exactly PyTorch's. See {@link BatchNorm1d} and
 * {@link BatchNorm2d}.
 */
public abstract class BatchNorm extends Layer {
    private final int features;
    private final double eps;
    private final double momentum;
    private final int[] ranks;
    private final Parameter weight;
    private final Parameter bias;

    /** A batch norm for {@code features} channels accepting inputs of the given ranks. */
    protected BatchNorm(int features, double eps, double momentum, int... ranks) {
        if (features <= 0 || !(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": need features > 0, eps > 0 and "
                    + "momentum in [0, 1], got " + features + ", " + eps + ", " + momentum);
        }
        this.features = features;
        this.eps = eps;
        this.momentum = momentum;
        this.ranks = ranks;
        this.weight = registerParameter("weight", Tensor.ones(features));
        this.bias = registerParameter("bias", Tensor.zeros(features));
        registerBuffer("running_mean", Tensor.zeros(features));
        registerBuffer("running_var", Tensor.ones(features));
        registerBuffer("num_batches_tracked", Tensor.scalar(DType.FLOAT32, 0));
    }

    /** The scale {@code γ} (ones initially). */
    public Parameter weight() {
        return weight;
    }

    /** The shift {@code β} (zeros initially). */
    public Parameter bias() {
        return bias;
    }

    /** The running mean estimate. */
    public Tensor runningMean() {
        return buffer("running_mean");
    }

    /** The running (unbiased) variance estimate. */
    public Tensor runningVar() {
        return buffer("running_var");
    }

    /** How many training batches updated the running statistics. */
    public long numBatchesTracked() {
        return Math.round(buffer("num_batches_tracked").item());
    }

    /**
     * {@code (x - μ)/√(σ² + eps)·γ + β}, batch statistics in training (updating the running ones), running in eval.
     * Both are computed as PyTorch's CPU kernel ({@code batch_norm_cpu_collect_linear_and_constant_terms} in ATen's
     * {@code batch_norm_kernel.cpp}) computes them, {@code x·s + t} with the per-channel {@code s = γ/√(σ² + eps)}
     * and {@code t = β - μ·s}. In training this is {@link Var#batchNorm}, one fused primitive: two reading passes for
     * the statistics and one for the output, two passes backward; gradients of every order are the formula's.
     */
    @Override
    public final Var forward(Var x) {
        return normalize(x, false);
    }

    /** The normalisation followed by a ReLU, the shift and the clamp in one pass. */
    @Override
    final Var forwardRelu(Var x) {
        return normalize(x, true);
    }

    private Var normalize(Var x, boolean relu) {
        int[] s = x.shape();
        boolean rankOk = false;
        for (int r : ranks) {
            rankOk |= s.length == r;
        }
        if (!rankOk || s[1] != features) {
            throw error("input " + Shapes.str(s) + " is not " + expected() + " with C = " + features);
        }
        checkDtype(x);
        if (isTraining()) {
            int n = x.value().numel() / features;
            if (n <= 1) {
                throw error("expected more than 1 value per channel when training, got input " + Shapes.str(s));
            }
            Var.BatchNormOutput y = x.batchNorm(weight.var(), bias.var(), eps, relu);
            Tensor m = y.mean();
            Tensor v = y.var().mul((double) n / (n - 1));
            setBuffer("running_mean", runningMean().mul(1 - momentum).add(m.mul(momentum)));
            setBuffer("running_var", runningVar().mul(1 - momentum).add(v.mul(momentum)));
            setBuffer("num_batches_tracked", buffer("num_batches_tracked").add(1));
            return y.output();
        }
        int[] bshape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            bshape[i] = i == 1 ? features : 1;
        }
        Var scale = weight.var().reshape(bshape).div(Var.of(runningVar().add(eps).sqrt().reshape(bshape)));
        Var shift = bias.var().reshape(bshape).sub(Var.of(runningMean().reshape(bshape)).mul(scale));
        Var y = x.mul(scale);
        return relu ? y.addRelu(shift) : y.add(shift);
    }

    /** The accepted input layout, for error messages. */
    protected abstract String expected();

    @Override
    protected String extraRepr() {
        return features + ", eps=" + eps + ", momentum=" + momentum + ", affine=true, track_running_stats=true";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("num_features", features, "eps", eps, "momentum", momentum);
    }
}
